using Commerce.BuildingBlocks.Http;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Carts.Features.CreateCart;

internal static class CreateCartEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/carts", Handle)
        .AllowAnonymous()
        .WithTags("Carts")
        .WithSummary("Start a guest cart (no sign-in)")
        .WithDescription("Returns the cart with its cartId: a random secret that is the only way back to the cart. Keep it; after signing " +
                         "up or logging in, POST /api/me/cart/merge moves its lines into your own cart. Unchanged guest carts expire after 30 days.")
        .ProducesErrors(StatusCodes.Status503ServiceUnavailable);

    private static async Task<Created<CartView>> Handle(IMediator mediator, CancellationToken ct)
    {
        var cart = await mediator.Send(new CreateCart(), ct);
        return TypedResults.Created($"/api/carts/{cart.CartId}", cart);
    }
}

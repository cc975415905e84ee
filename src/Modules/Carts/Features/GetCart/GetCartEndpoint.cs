using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Carts.Features.GetCart;

internal static class GetCartEndpoint
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/api/carts/{cartId}", (string cartId, IMediator mediator, CancellationToken ct) => Handle(CartRef.OfGuest(cartId), mediator, ct))
            .AllowAnonymous()
            .WithName("GetGuestCart")
            .WithTags("Carts")
            .WithSummary("A guest cart, by its secret id")
            .WithDescription("Each line with the product's current name, price, status and stock (available: on sale with enough stock), and the subtotal.")
            .ProducesErrors(StatusCodes.Status404NotFound);

        app.MapGet("/api/me/cart", (ClaimsPrincipal user, IMediator mediator, CancellationToken ct) => Handle(CartRef.OfMember(user.MemberId()), mediator, ct))
            .RequireAuthorization(Policies.Member)
            .WithName("GetMyCart")
            .WithTags("Carts")
            .WithSummary("My cart")
            .WithDescription("Each line with the product's current name, price, status and stock, and the subtotal; empty until something is put in it.");
    }

    private static async Task<Ok<CartView>> Handle(CartRef cart, IMediator mediator, CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new GetCart(cart), ct));
}

using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Carts.Features.SetCartLine;

internal static class SetCartLineEndpoint
{
    public sealed record CartLineRequest(int Quantity);

    private const string Description = "Adds the product or sets its quantity (1-100); at most 50 different products. Unknown products are " +
                                       "404 PRODUCT_NOT_FOUND, discontinued ones 409 PRODUCT_DISCONTINUED; stock is only taken at checkout.";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPut("/api/carts/{cartId}/items/{productId}", (string cartId, long productId, CartLineRequest body, IMediator mediator, CancellationToken ct) =>
                Handle(CartRef.OfGuest(cartId), productId, body, mediator, ct))
            .AllowAnonymous()
            .WithName("SetGuestCartLine")
            .WithTags("Carts")
            .WithSummary("Put a product in a guest cart")
            .WithDescription(Description)
            .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);

        app.MapPut("/api/me/cart/items/{productId}", (long productId, CartLineRequest body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
                Handle(CartRef.OfMember(user.MemberId()), productId, body, mediator, ct))
            .RequireAuthorization(Policies.Member)
            .WithName("SetMyCartLine")
            .WithTags("Carts")
            .WithSummary("Put a product in my cart")
            .WithDescription(Description)
            .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
    }

    private static async Task<Ok<CartView>> Handle(CartRef cart, long productId, CartLineRequest body, IMediator mediator, CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new SetCartLine(cart, productId, body.Quantity), ct));
}

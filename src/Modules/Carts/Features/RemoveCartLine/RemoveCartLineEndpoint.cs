using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Carts.Features.RemoveCartLine;

internal static class RemoveCartLineEndpoint
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapDelete("/api/carts/{cartId}/items/{productId}", (string cartId, long productId, IMediator mediator, CancellationToken ct) =>
                Handle(CartRef.OfGuest(cartId), productId, mediator, ct))
            .AllowAnonymous()
            .WithName("RemoveGuestCartLine")
            .WithTags("Carts")
            .WithSummary("Take a product out of a guest cart")
            .WithDescription("Removing a product the cart does not hold changes nothing; the cart as it is now is returned.")
            .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);

        app.MapDelete("/api/me/cart/items/{productId}", (long productId, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
                Handle(CartRef.OfMember(user.MemberId()), productId, mediator, ct))
            .RequireAuthorization(Policies.Member)
            .WithName("RemoveMyCartLine")
            .WithTags("Carts")
            .WithSummary("Take a product out of my cart")
            .WithDescription("Removing a product the cart does not hold changes nothing; the cart as it is now is returned.")
            .ProducesErrors(StatusCodes.Status400BadRequest);
    }

    private static async Task<Ok<CartView>> Handle(CartRef cart, long productId, IMediator mediator, CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new RemoveCartLine(cart, productId), ct));
}

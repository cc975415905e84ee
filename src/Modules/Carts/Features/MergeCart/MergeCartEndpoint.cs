using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Carts.Features.MergeCart;

internal static class MergeCartEndpoint
{
    public sealed record MergeCartRequest(string CartId);

    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/me/cart/merge", Handle)
        .RequireAuthorization(Policies.Member)
        .WithTags("Carts")
        .WithSummary("Move a guest cart into my cart")
        .WithDescription("Quantities of a product in both carts add up (at most 100); new products join while the cart has fewer than 50. " +
                         "The guest cart is then deleted: merging it again is 404 CART_NOT_FOUND.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);

    private static async Task<Ok<CartView>> Handle(MergeCartRequest body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new MergeCart(user.MemberId(), body.CartId), ct));
}

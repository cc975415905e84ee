using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using Commerce.Modules.Orders.Features.QuoteOrder;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Carts.Features.QuoteCart;

internal static class QuoteCartEndpoint
{
    public sealed record QuoteCartRequest(IReadOnlyList<long>? CouponIds = null);

    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/me/cart/quote", Handle)
        .RequireAuthorization(Policies.Member)
        .WithTags("Carts")
        .WithSummary("What checking out my cart would cost now")
        .WithDescription("Per-line and order discounts and the total, with the coupons the checkout would choose (or the named couponIds), " +
                         "and the same refusals; nothing is locked or changed. The checkout that follows agrees unless something changed in between.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);

    private static async Task<Ok<OrderQuote>> Handle(QuoteCartRequest body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new QuoteCart(user.MemberId(), body.CouponIds), ct));
}

using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Orders.Features.QuoteOrder;

internal static class QuoteOrderEndpoint
{
    public sealed record QuoteRequest(IReadOnlyList<OrderItem> Items, IReadOnlyList<long>? CouponIds = null);

    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/orders/quote", Handle)
        .RequireAuthorization(Policies.Member)
        .WithTags("Orders")
        .WithSummary("Price a basket before buying: per-line and order discounts and the total")
        .WithDescription("Same basket rules and coupon choice as placing an order or checking out (the best combination, or the named " +
                         "couponIds), with the same refusals; nothing is locked, reserved or changed.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);

    private static async Task<Ok<OrderQuote>> Handle(QuoteRequest body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new QuoteOrder(user.MemberId(), body.Items, body.CouponIds), ct));
}

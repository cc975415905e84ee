using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Orders.Features.Checkout;

internal static class CheckoutEndpoint
{
    public sealed record CheckoutRequest(IReadOnlyList<OrderItem> Items, IReadOnlyList<long>? CouponIds = null);

    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/orders/checkout", Handle)
        .RequireAuthorization(Policies.Member)
        .WithIdempotencyKey()
        .WithTags("Orders")
        .WithSummary("Buy now with points (Flow B): one transaction, order PAID")
        .WithDescription("Same basket rules as placing an order. Coupons, stock and points change together or not at all: " +
                         "PRODUCT_DISCONTINUED, OUT_OF_STOCK, COUPON_NOT_USABLE or INSUFFICIENT_POINTS leave everything as it was.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);

    private static async Task<Created<OrderView>> Handle(
        CheckoutRequest body,
        [FromHeader(Name = EndpointConventions.IdempotencyKeyHeader)] string? idempotencyKey,
        ClaimsPrincipal user,
        IMediator mediator,
        CancellationToken ct)
    {
        var order = await mediator.Send(new Checkout(user.MemberId(), body.Items, body.CouponIds, idempotencyKey), ct);
        return TypedResults.Created($"/api/orders/{order.Id}", order);
    }
}

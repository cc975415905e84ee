using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Orders.Features.PlaceOrder;

internal static class PlaceOrderEndpoint
{
    /// <summary>Leave <c>couponIds</c> out to have the best usable coupons applied; send <c>[]</c> for none.</summary>
    public sealed record PlaceOrderRequest(IReadOnlyList<OrderItem> Items, IReadOnlyList<long>? CouponIds = null);

    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/orders", Handle)
        .RequireAuthorization(Policies.Member)
        .WithIdempotencyKey()
        .WithTags("Orders")
        .WithSummary("Place an order (Flow A): reserve stock and apply coupons, pay later")
        .WithDescription("1-50 lines, quantity 1-100 (the same product twice is merged). Without couponIds the best usable coupons are applied; " +
                         "with couponIds exactly those (422 COUPON_NOT_USABLE names the first that is not). The order waits in PENDING_PAYMENT " +
                         "until it is paid (POST /api/orders/{id}/payment), cancelled, or its payment deadline passes.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);

    private static async Task<Created<OrderView>> Handle(
        PlaceOrderRequest body,
        [FromHeader(Name = EndpointConventions.IdempotencyKeyHeader)] string? idempotencyKey,
        ClaimsPrincipal user,
        IMediator mediator,
        CancellationToken ct)
    {
        var order = await mediator.Send(new PlaceOrder(user.MemberId(), body.Items, body.CouponIds, idempotencyKey), ct);
        return TypedResults.Created($"/api/orders/{order.Id}", order);
    }
}

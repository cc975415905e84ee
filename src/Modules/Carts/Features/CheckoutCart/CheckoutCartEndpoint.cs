using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using Commerce.Modules.Orders;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Carts.Features.CheckoutCart;

internal static class CheckoutCartEndpoint
{
    public sealed record CheckoutCartRequest(IReadOnlyList<long>? CouponIds = null);

    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/me/cart/checkout", Handle)
        .RequireAuthorization(Policies.Member)
        .WithIdempotencyKey()
        .WithTags("Carts")
        .WithSummary("Buy what is in my cart with points (Flow B): order PAID, cart emptied")
        .WithDescription("Exactly POST /api/orders/checkout on the cart's lines (best coupons unless couponIds names them), and the cart is " +
                         "emptied in the same transaction. Any refusal (409 CART_EMPTY, OUT_OF_STOCK, PRODUCT_DISCONTINUED, INSUFFICIENT_POINTS, " +
                         "422 COUPON_NOT_USABLE) leaves the cart, stock, coupons and points as they were.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);

    private static async Task<Created<OrderView>> Handle(
        CheckoutCartRequest body,
        [FromHeader(Name = EndpointConventions.IdempotencyKeyHeader)] string? idempotencyKey,
        ClaimsPrincipal user,
        IMediator mediator,
        CancellationToken ct)
    {
        var order = await mediator.Send(new CheckoutCart(user.MemberId(), body.CouponIds, idempotencyKey), ct);
        return TypedResults.Created($"/api/orders/{order.Id}", order);
    }
}

using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Orders.Features.PayOrder;

internal static class PayOrderEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/orders/{orderId}/payment", Handle)
        .RequireAuthorization(Policies.Member)
        .WithIdempotencyKey(storesResponse: false)
        .WithTags("Orders")
        .WithSummary("Pay an order with points through the payment gateway (Flow A)")
        .WithDescription("200: PAID, with the remaining balance. 202: the gateway has not answered; the order stays PAYING and is finished in the " +
                         "background (read it with GET /api/orders/{id}). 402 PAYMENT_DECLINED: points refunded, coupons and stock given back. " +
                         "409 INSUFFICIENT_POINTS: the order failed and was released. 409 ORDER_NOT_PAYABLE: not waiting for payment. " +
                         "Paying a PAID order again answers with its payment and never charges twice.")
        .Produces<PaymentResult>(StatusCodes.Status202Accepted)
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status402PaymentRequired, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);

    private static async Task<Results<Ok<PaymentResult>, Accepted<PaymentResult>>> Handle(
        long orderId,
        [FromHeader(Name = EndpointConventions.IdempotencyKeyHeader)] string? idempotencyKey,
        ClaimsPrincipal user,
        IMediator mediator,
        CancellationToken ct)
    {
        var result = await mediator.Send(new PayOrder(user.MemberId(), orderId, idempotencyKey), ct);
        return result.Order.Status == OrderStatus.Paying
            ? TypedResults.Accepted($"/api/orders/{orderId}", result)
            : TypedResults.Ok(result);
    }
}

using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Orders.Features.RefundOrder;

internal static class RefundOrderEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/orders/{orderId:long}/refund", Handle)
        .RequireAuthorization(Policies.Member)
        .WithTags("Orders")
        .WithSummary("Refund a paid order in full")
        .WithDescription("Its member within the refund window (7 days by default), an admin at any time. Points, coupons and stock come back " +
                         "and the order becomes REFUNDED (200). A gateway payment is refunded through the gateway: without its answer the order " +
                         "stays REFUNDING (202) until the reconciler knows. Refunding again answers with the same refund; only a PAID order can be refunded.")
        .Produces<RefundResult>(StatusCodes.Status202Accepted)
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status502BadGateway);

    private static async Task<Results<Ok<RefundResult>, Accepted<RefundResult>>> Handle(long orderId, ClaimsPrincipal user, IMediator mediator, CancellationToken ct)
    {
        var result = await mediator.Send(new RefundOrder(user.MemberId(), user.IsInRole(Roles.Admin), orderId), ct);
        return result.Order.Status == OrderStatus.Refunding
            ? TypedResults.Accepted($"/api/orders/{orderId}", result)
            : TypedResults.Ok(result);
    }
}

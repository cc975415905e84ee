using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Orders.Features.CancelOrder;

internal static class CancelOrderEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/orders/{orderId}/cancel", Handle)
        .RequireAuthorization(Policies.Member)
        .WithTags("Orders")
        .WithSummary("Cancel an order waiting for payment")
        .WithDescription("PENDING_PAYMENT → CANCELLED; its coupons become AVAILABLE and its stock returns. Cancelling a cancelled order answers with it again.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);

    private static async Task<Ok<OrderView>> Handle(long orderId, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new CancelOrder(user.MemberId(), orderId), ct));
}

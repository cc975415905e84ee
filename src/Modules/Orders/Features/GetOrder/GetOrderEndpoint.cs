using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Orders.Features.GetOrder;

internal static class GetOrderEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapGet("/api/orders/{orderId}", Handle)
        .RequireAuthorization(Policies.Member)
        .WithTags("Orders")
        .WithSummary("One order with its lines, coupons and latest payment")
        .WithDescription("Visible to its member and to admins; any other member gets 404.")
        .ProducesErrors(StatusCodes.Status404NotFound);

    private static async Task<Ok<OrderView>> Handle(long orderId, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new GetOrder(user.MemberId(), user.IsInRole(Roles.Admin), orderId), ct));
}

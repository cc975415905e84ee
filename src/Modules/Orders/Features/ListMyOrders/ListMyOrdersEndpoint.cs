using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Orders.Features.ListMyOrders;

internal static class ListMyOrdersEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapGet("/api/me/orders", Handle)
        .RequireAuthorization(Policies.Member)
        .WithTags("Orders")
        .WithSummary("My orders, newest first")
        .WithDescription("Optional ?status=PENDING_PAYMENT|PAYING|PAID|PAYMENT_FAILED|CANCELLED|EXPIRED|REFUNDING|REFUNDED; paged with page and pageSize (1-100).")
        .ProducesErrors(StatusCodes.Status400BadRequest);

    private static async Task<Ok<PagedList<OrderSummary>>> Handle(ClaimsPrincipal user, IMediator mediator, CancellationToken ct,
        string? status = null, int page = 1, int pageSize = Paging.DefaultPageSize) =>
        TypedResults.Ok(await mediator.Send(new ListMyOrders(user.MemberId(), status, page, pageSize), ct));
}

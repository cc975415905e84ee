using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Points.Features.GetPointHistory;

internal static class GetPointHistoryEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapGet("/api/me/points/history", Handle)
        .RequireAuthorization(Policies.Member)
        .WithTags("Points")
        .WithSummary("Point ledger, newest first")
        .WithDescription("Every charge (CHARGE), payment (USE, negative) and refund (REFUND) with the balance after it.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);

    private static async Task<Ok<PagedList<LedgerEntry>>> Handle(ClaimsPrincipal user, IMediator mediator, CancellationToken ct,
        int page = 1, int pageSize = Paging.DefaultPageSize) =>
        TypedResults.Ok(await mediator.Send(new GetPointHistory(user.MemberId(), page, pageSize), ct));
}

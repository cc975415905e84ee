using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Points.Features.GetBalance;

internal static class GetBalanceEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapGet("/api/me/points", Handle)
        .RequireAuthorization(Policies.Member)
        .WithTags("Points")
        .WithSummary("Point balance")
        .WithDescription("The signed-in member's balance in points (1 point = 1 won), and when it last changed; 0 for a member who never charged.")
        .ProducesErrors(StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);

    private static async Task<Ok<BalanceResponse>> Handle(ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new GetBalance(user.MemberId()), ct));
}

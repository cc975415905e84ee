using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Points.Features.ChargePoints;

internal static class ChargePointsEndpoint
{
    public sealed record ChargePointsRequest(long Amount);

    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/me/points/charge", Handle)
        .RequireAuthorization(Policies.Member)
        .RequireRateLimiting(RateLimitPolicies.ChargePoints)
        .WithIdempotencyKey()
        .WithTags("Points")
        .WithSummary("Charge prepaid points")
        .WithDescription("Adds 1..1,000,000 won of points (configurable); the balance may not exceed 10,000,000 (409 BALANCE_LIMIT_EXCEEDED).")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status409Conflict,
            StatusCodes.Status429TooManyRequests);

    private static async Task<Ok<ChargeResult>> Handle(
        ChargePointsRequest body,
        [FromHeader(Name = EndpointConventions.IdempotencyKeyHeader)] string? idempotencyKey,
        ClaimsPrincipal user,
        IMediator mediator,
        CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new ChargePoints(user.MemberId(), body.Amount, idempotencyKey), ct));
}

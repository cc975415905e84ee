using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.BuildingBlocks.Outbox.Features.RequeueDeadLetters;

internal static class RequeueDeadLettersEndpoint
{
    /// <summary>Which dead letters to requeue; every field optional (<c>{}</c> requeues all).</summary>
    public sealed record RequeueDeadLettersRequest(string? Type = null, DateTimeOffset? DeadLetteredFrom = null, DateTimeOffset? DeadLetteredTo = null);

    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/admin/outbox/dead-letters/requeue", Handle)
        .RequireAuthorization(Policies.Admin)
        .WithTags("Admin")
        .WithSummary("Send many dead letters again")
        .WithDescription("Every dead letter matching the body becomes pending with fresh attempts, keeping its id and sequence: " +
                         "all of them (`{}`), one event `type`, and/or those dead-lettered between `deadLetteredFrom` and `deadLetteredTo` (inclusive). " +
                         "Answers how many were requeued.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);

    private static async Task<Ok<RequeuedDeadLetters>> Handle(RequeueDeadLettersRequest body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new RequeueDeadLetters(user.MemberId(), body.Type, body.DeadLetteredFrom, body.DeadLetteredTo), ct));
}

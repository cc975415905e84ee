using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.BuildingBlocks.Outbox.Features.RequeueDeadLetter;

internal static class RequeueDeadLetterEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/admin/outbox/dead-letters/{id}/requeue", Handle)
        .RequireAuthorization(Policies.Admin)
        .WithTags("Admin")
        .WithSummary("Send a dead letter again")
        .WithDescription("The event becomes pending with fresh attempts, keeping its id (the platform's deduplication key). " +
                         "404 OUTBOX_MESSAGE_NOT_FOUND for an unknown id, 409 OUTBOX_MESSAGE_NOT_DEAD_LETTERED when it is pending or delivered.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
            StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);

    private static async Task<Ok<OutboxMessage>> Handle(Guid id, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new RequeueDeadLetter(user.MemberId(), id), ct));
}

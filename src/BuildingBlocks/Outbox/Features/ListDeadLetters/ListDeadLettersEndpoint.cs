using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.BuildingBlocks.Outbox.Features.ListDeadLetters;

internal static class ListDeadLettersEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapGet("/api/admin/outbox/dead-letters", Handle)
        .RequireAuthorization(Policies.Admin)
        .WithTags("Admin")
        .WithSummary("Events the relay gave up on, newest first")
        .WithDescription("Called invalid by the data platform (400, 422), or still failing when older than Commerce:Outbox:DeadLetterAfter. They do not hold back their stream's later events; requeue one, or many at once, to send them again.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);

    private static async Task<Ok<PagedList<OutboxMessage>>> Handle(IMediator mediator, CancellationToken ct,
        int page = 1, int pageSize = Paging.DefaultPageSize) =>
        TypedResults.Ok(await mediator.Send(new ListDeadLetters(page, pageSize), ct));
}

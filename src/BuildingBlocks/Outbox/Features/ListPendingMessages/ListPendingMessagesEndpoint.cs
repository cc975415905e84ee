using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.BuildingBlocks.Outbox.Features.ListPendingMessages;

internal static class ListPendingMessagesEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapGet("/api/admin/outbox/pending", Handle)
        .RequireAuthorization(Policies.Admin)
        .WithTags("Admin")
        .WithSummary("Events waiting for the data platform, oldest first")
        .WithDescription("Attempts, the next retry and the last error show why an event has not gone out yet.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);

    private static async Task<Ok<PagedList<OutboxMessage>>> Handle(IMediator mediator, CancellationToken ct,
        int page = 1, int pageSize = Paging.DefaultPageSize) =>
        TypedResults.Ok(await mediator.Send(new ListPendingMessages(page, pageSize), ct));
}

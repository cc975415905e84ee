using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Mediation;
using FluentValidation;
using MediatR;

namespace Commerce.BuildingBlocks.Outbox.Features.ListPendingMessages;

/// <summary>Events not yet delivered nor dead-lettered, oldest first: the order the relay works through them.</summary>
public sealed record ListPendingMessages(int Page, int PageSize) : IQuery<PagedList<OutboxMessage>>;

internal sealed class ListPendingMessagesValidator : AbstractValidator<ListPendingMessages>
{
    public ListPendingMessagesValidator() => this.ValidPaging(q => q.Page, q => q.PageSize);
}

internal sealed class ListPendingMessagesHandler(DbSession session) : IRequestHandler<ListPendingMessages, PagedList<OutboxMessage>>
{
    // Served by outbox_pending_idx ("seq > 0" is its predicate's); the count comes in the same round trip.
    private const string Sql = $"""
        SELECT {OutboxMessageSql.Columns}
        FROM platform.outbox WHERE delivered_at IS NULL AND dead_lettered_at IS NULL AND seq > 0
        ORDER BY seq LIMIT @PageSize OFFSET @Offset;
        SELECT count(*) FROM platform.outbox WHERE delivered_at IS NULL AND dead_lettered_at IS NULL;
        """;

    public Task<PagedList<OutboxMessage>> Handle(ListPendingMessages query, CancellationToken ct) =>
        Paging.ReadAsync<OutboxMessage>(session, Sql, null, query.Page, query.PageSize, ct);
}

using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Mediation;
using FluentValidation;
using MediatR;

namespace Commerce.BuildingBlocks.Outbox.Features.ListDeadLetters;

/// <summary>Events the relay gave up on, most recently dead-lettered first, each with its last error.</summary>
public sealed record ListDeadLetters(int Page, int PageSize) : IQuery<PagedList<OutboxMessage>>;

internal sealed class ListDeadLettersValidator : AbstractValidator<ListDeadLetters>
{
    public ListDeadLettersValidator() => this.ValidPaging(q => q.Page, q => q.PageSize);
}

internal sealed class ListDeadLettersHandler(DbSession session) : IRequestHandler<ListDeadLetters, PagedList<OutboxMessage>>
{
    // Served by outbox_dead_letters_idx; the count comes in the same round trip.
    private const string Sql = $"""
        SELECT {OutboxMessageSql.Columns}
        FROM platform.outbox WHERE dead_lettered_at IS NOT NULL
        ORDER BY dead_lettered_at DESC, seq DESC LIMIT @PageSize OFFSET @Offset;
        SELECT count(*) FROM platform.outbox WHERE dead_lettered_at IS NOT NULL;
        """;

    public Task<PagedList<OutboxMessage>> Handle(ListDeadLetters query, CancellationToken ct) =>
        Paging.ReadAsync<OutboxMessage>(session, Sql, null, query.Page, query.PageSize, ct);
}

using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Points.Features.GetPointHistory;

public sealed record GetPointHistory(long MemberId, int Page, int PageSize) : IQuery<PagedList<LedgerEntry>>;

public sealed record LedgerEntry(long Id, string Type, long Amount, long BalanceAfter, string? Reference, DateTimeOffset CreatedAt);

internal sealed class GetPointHistoryValidator : AbstractValidator<GetPointHistory>
{
    public GetPointHistoryValidator() => this.ValidPaging(q => q.Page, q => q.PageSize);
}

internal sealed class GetPointHistoryHandler(DbSession session) : IRequestHandler<GetPointHistory, PagedList<LedgerEntry>>
{
    // Newest first, served by ledger_member_idx; the count comes in the same round trip.
    private const string Sql = """
        SELECT id, type, amount, balance_after, reference, created_at
        FROM points.ledger WHERE member_id = @MemberId
        ORDER BY id DESC LIMIT @PageSize OFFSET @Offset;
        SELECT count(*) FROM points.ledger WHERE member_id = @MemberId;
        """;

    public async Task<PagedList<LedgerEntry>> Handle(GetPointHistory query, CancellationToken ct)
    {
        using var results = await session.Connection.QueryMultipleAsync(session.Command(Sql,
            new { query.MemberId, query.PageSize, Offset = Paging.Offset(query.Page, query.PageSize) }, ct));
        var items = (await results.ReadAsync<LedgerEntry>()).AsList();
        var total = await results.ReadSingleAsync<long>();
        return new PagedList<LedgerEntry>(items, query.Page, query.PageSize, total);
    }
}

using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using MediatR;

namespace Commerce.Modules.Points.Features.GetBalance;

public sealed record GetBalance(long MemberId) : IQuery<BalanceResponse>;

public sealed record BalanceResponse(long Balance, DateTimeOffset? UpdatedAt);

internal sealed class GetBalanceHandler(DbSession session) : IRequestHandler<GetBalance, BalanceResponse>
{
    private const string Sql = "SELECT balance, updated_at FROM points.wallets WHERE member_id = @MemberId";

    public async Task<BalanceResponse> Handle(GetBalance query, CancellationToken ct) =>
        await session.Connection.QuerySingleOrDefaultAsync<BalanceResponse>(session.Command(Sql, query, ct))
        ?? new BalanceResponse(0, null);
}

using Commerce.BuildingBlocks.Data;
using Dapper;

namespace Commerce.Modules.Points;

/// <summary>The wallet statements ChargePoints and the order-facing contract share.</summary>
internal static class PointsSql
{
    private const string LockWalletSql = """
        SELECT balance FROM points.wallets WHERE member_id = @MemberId FOR UPDATE
        """;

    // One round trip while the wallet row is locked.
    private const string ApplySql = """
        UPDATE points.wallets SET balance = @BalanceAfter, updated_at = @Now WHERE member_id = @MemberId;
        INSERT INTO points.ledger (member_id, type, amount, balance_after, reference, created_at)
        VALUES (@MemberId, @Type, @Amount, @BalanceAfter, @Reference, @Now)
        RETURNING id;
        """;

    /// <summary>Locks the member's wallet and returns its balance, or null when the member never charged.</summary>
    public static Task<long?> LockWalletAsync(DbSession session, long memberId, CancellationToken ct) =>
        session.Connection.QuerySingleOrDefaultAsync<long?>(session.Command(LockWalletSql, new { MemberId = memberId }, ct));

    /// <summary>Writes the new balance and its ledger entry; the wallet must be locked by the caller.</summary>
    public static Task<long> ApplyAsync(DbSession session, long memberId, string type, long amount, long balanceAfter, string? reference, DateTimeOffset now, CancellationToken ct) =>
        session.Connection.ExecuteScalarAsync<long>(session.Command(ApplySql,
            new { MemberId = memberId, Type = type, Amount = amount, BalanceAfter = balanceAfter, Reference = reference, Now = now }, ct));
}

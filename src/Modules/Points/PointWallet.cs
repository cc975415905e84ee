using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Points.Contracts;
using Commerce.Modules.Points.Features.ChargePoints;
using Dapper;
using Npgsql;

namespace Commerce.Modules.Points;

internal sealed class PointWallet(DbSession session, TimeProvider clock) : IPointWallet
{
    // Lock, check and take are one round trip (a charge and a refund have the same shape): the balance and its ledger
    // entry change only when the locked balance covers the amount. The new balance is computed from the
    // locked row: the wallet's version in the statement's snapshot may predate a charge, and PostgreSQL checks
    // balance >= 0 on that computation before it moves to the latest version. No row: the member never charged.
    private const string DeductCtes = """
        WITH wallet AS MATERIALIZED (
            SELECT balance FROM points.wallets WHERE member_id = @MemberId FOR UPDATE
        ), deducted AS (
            UPDATE points.wallets w SET balance = locked.balance - @Amount, updated_at = @Now
            FROM wallet locked
            WHERE w.member_id = @MemberId AND locked.balance >= @Amount
            RETURNING w.balance
        ), entry AS (
            INSERT INTO points.ledger (member_id, type, amount, balance_after, reference, created_at)
            SELECT @MemberId, @Type, -@Amount, balance, @Reference, @Now FROM deducted
            RETURNING id, balance_after
        )
        """;

    private const string DeductSql = DeductCtes + "\n" + """
        SELECT w.balance, e.id AS ledger_entry_id, e.balance_after
        FROM wallet w LEFT JOIN entry e ON true
        """;

    // The same, refusing instead of answering: no entry (short, or no wallet) raises INSUFFICIENT_POINTS (migration 0002);
    // taken, it returns no row.
    private const string DeductOrRaiseSql = DeductCtes + "\n" + """
        SELECT points.raise_insufficient_points(coalesce((SELECT balance FROM wallet), 0), @Amount)
        WHERE NOT EXISTS (SELECT FROM entry)
        """;

    // A refund is not held to the balance limit and never creates a wallet. The UPDATE locks the row and adds to its latest
    // version.
    private const string RefundSql = """
        WITH wallet AS (
            UPDATE points.wallets SET balance = balance + @Amount, updated_at = @Now
            WHERE member_id = @MemberId
            RETURNING balance
        ), entry AS (
            INSERT INTO points.ledger (member_id, type, amount, balance_after, reference, created_at)
            SELECT @MemberId, @Type, @Amount, balance, @Reference, @Now FROM wallet
            RETURNING id, balance_after
        )
        SELECT id AS ledger_entry_id, balance_after FROM entry
        """;

    // The deduction alone: a batch of one, so there is one way to send and read it.
    public async Task<WalletChange> DeductAsync(long memberId, long amount, string reference, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(session.Connection, session.Transaction);
        var deduction = Deduct(batch, memberId, amount, reference);
        await using var reader = await batch.ExecuteReaderAsync(ct);
        return await deduction.ReadAsync(reader, ct);
    }

    public PendingDeduction Deduct(NpgsqlBatch batch, long memberId, long amount, string reference)
    {
        ArgumentNullException.ThrowIfNull(batch);

        // 1. The same statement as DeductAsync's, sent with the caller's batch.
        batch.BatchCommands.Add(Statement(DeductSql, memberId, amount, reference));

        // 2. Its one row (none: the member never charged), read when the batch has run; nothing taken: the balance was short.
        return new PendingDeduction(async (reader, ct) =>
        {
            Deduction? result = null;
            if (await reader.ReadAsync(ct))
            {
                result = new Deduction(reader.GetInt64(0),
                    await reader.IsDBNullAsync(1, ct) ? null : reader.GetInt64(1),
                    await reader.IsDBNullAsync(2, ct) ? null : reader.GetInt64(2));
            }

            return Taken(result, amount);
        });
    }

    public NpgsqlBatchCommand DeductOrRaise(long memberId, long amount, string reference) =>
        Statement(DeductOrRaiseSql, memberId, amount, reference);

    private NpgsqlBatchCommand Statement(string sql, long memberId, long amount, string reference)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amount);
        return new NpgsqlBatchCommand(sql)
        {
            Parameters =
            {
                new NpgsqlParameter<long>("MemberId", memberId),
                new NpgsqlParameter<long>("Amount", amount),
                new NpgsqlParameter<string>("Type", LedgerType.Use),
                new NpgsqlParameter<string>("Reference", reference),
                new NpgsqlParameter<DateTimeOffset>("Now", clock.GetUtcNow()),
            },
        };
    }

    private static WalletChange Taken(Deduction? result, long amount)
    {
        if (result is not { LedgerEntryId: { } entryId, BalanceAfter: { } balanceAfter })
        {
            var balance = result?.Balance ?? 0;
            throw AppException.Conflict(PointErrors.InsufficientPoints, $"The order needs {amount} points; the balance is {balance}.")
                .With("balance", balance).With("required", amount);
        }

        return new WalletChange(entryId, -amount, balanceAfter);
    }

    public async Task<WalletChange> RefundAsync(long memberId, long amount, string reference, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amount);

        // 1. Lock the wallet and add the amount with its ledger entry, in one statement. A refund always follows a USE, so
        //    the wallet exists; no row means it does not.
        var refunded = await session.Connection.QuerySingleOrDefaultAsync<ChargePointsHandler.Charged>(session.Command(RefundSql,
            new { MemberId = memberId, Type = LedgerType.Refund, Amount = amount, Reference = reference, Now = clock.GetUtcNow() }, ct))
            ?? throw new InvalidOperationException($"Member {memberId} has no wallet to refund to.");
        return new WalletChange(refunded.LedgerEntryId, amount, refunded.BalanceAfter);
    }

    private sealed record Deduction(long Balance, long? LedgerEntryId, long? BalanceAfter);
}

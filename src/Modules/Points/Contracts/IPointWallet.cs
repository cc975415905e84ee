using Npgsql;

namespace Commerce.Modules.Points.Contracts;

/// <summary>
/// What the order flows may do with a member's points. Runs on the caller's connection and transaction
/// and locks the wallet row, which comes last in the global lock order.
/// </summary>
public interface IPointWallet
{
    /// <summary>
    /// Locks the member's wallet row (FOR UPDATE) and takes <paramref name="amount"/> (ledger USE), in one statement.
    /// 409 INSUFFICIENT_POINTS, with nothing written, when the balance is short.
    /// </summary>
    Task<WalletChange> DeductAsync(long memberId, long amount, string reference, CancellationToken ct);

    /// <summary>
    /// <see cref="DeductAsync"/> as a statement added to the caller's <paramref name="batch"/> (its connection and
    /// transaction), so it shares one round trip with the caller's own statements while they hold hot rows. The ledger
    /// entry it inserts draws the last sequence value of the statement: the next statement of the same batch reads the
    /// entry's id with <c>lastval()</c>. Once the batch runs, <see cref="PendingDeduction.ReadAsync"/> on the reader
    /// positioned at its result returns the change or throws 409 INSUFFICIENT_POINTS (the caller's transaction must
    /// then roll back whatever else the batch wrote). A short balance inserts no entry, and the rest of the batch runs
    /// anyway: there <c>lastval()</c> is the session's previous value (an error if it drew none, which the reader's
    /// disposal would throw instead of INSUFFICIENT_POINTS), so the statements after it must not fail on that.
    /// </summary>
    PendingDeduction Deduct(NpgsqlBatch batch, long memberId, long amount, string reference);

    /// <summary>
    /// The deduction as a statement for a batch whose outcome nobody reads, the one sent with the COMMIT
    /// (<c>DbSession.BeforeCommit</c>): it locks the wallet and takes the amount as <see cref="DeductAsync"/> does, and a short
    /// balance (or no wallet) raises an error instead (<c>DatabaseRefusal</c>, SQLSTATE CM409), so the server skips the
    /// rest of the batch, COMMIT included, and the command answers 409 INSUFFICIENT_POINTS exactly as <see cref="DeductAsync"/>
    /// does. The next statement of the batch reads the ledger entry's id with <c>lastval()</c>, as after
    /// <see cref="Deduct"/>; nothing that follows runs when the balance is short.
    /// </summary>
    NpgsqlBatchCommand DeductOrRaise(long memberId, long amount, string reference);

    /// <summary>Gives <paramref name="amount"/> back (ledger REFUND). Refunds may take the balance past the charge limit.</summary>
    Task<WalletChange> RefundAsync(long memberId, long amount, string reference, CancellationToken ct);
}

/// <summary>A deduction sent in the caller's batch, whose outcome is read from the batch's reader.</summary>
public sealed class PendingDeduction(Func<NpgsqlDataReader, CancellationToken, Task<WalletChange>> read)
{
    public Task<WalletChange> ReadAsync(NpgsqlDataReader reader, CancellationToken ct) => read(reader, ct);
}

public sealed record WalletChange(long LedgerEntryId, long Amount, long BalanceAfter);

public static class PointErrors
{
    public const string BalanceLimitExceeded = "BALANCE_LIMIT_EXCEEDED";
    public const string InsufficientPoints = "INSUFFICIENT_POINTS";
}

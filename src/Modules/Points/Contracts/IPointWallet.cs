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

    /// <summary>Gives <paramref name="amount"/> back (ledger REFUND). Refunds may take the balance past the charge limit.</summary>
    Task<WalletChange> RefundAsync(long memberId, long amount, string reference, CancellationToken ct);
}

public sealed record WalletChange(long LedgerEntryId, long Amount, long BalanceAfter);

public static class PointErrors
{
    public const string BalanceLimitExceeded = "BALANCE_LIMIT_EXCEEDED";
    public const string InsufficientPoints = "INSUFFICIENT_POINTS";
}

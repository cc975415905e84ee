using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Points.Contracts;

namespace Commerce.Modules.Points;

internal sealed class PointWallet(DbSession session, TimeProvider clock) : IPointWallet
{
    public async Task<WalletChange> DeductAsync(long memberId, long amount, string reference, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amount);
        var balance = await PointsSql.LockWalletAsync(session, memberId, ct) ?? 0;
        if (balance < amount)
        {
            throw AppException.Conflict(PointErrors.InsufficientPoints, $"The order needs {amount} points; the balance is {balance}.")
                .With("balance", balance).With("required", amount);
        }

        var entryId = await PointsSql.ApplyAsync(session, memberId, LedgerType.Use, -amount, balance - amount, reference, clock.GetUtcNow(), ct);
        return new WalletChange(entryId, -amount, balance - amount);
    }

    public async Task<WalletChange> RefundAsync(long memberId, long amount, string reference, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amount);
        // A refund always follows a USE, so the wallet exists.
        var balance = await PointsSql.LockWalletAsync(session, memberId, ct)
            ?? throw new InvalidOperationException($"Member {memberId} has no wallet to refund to.");
        var entryId = await PointsSql.ApplyAsync(session, memberId, LedgerType.Refund, amount, balance + amount, reference, clock.GetUtcNow(), ct);
        return new WalletChange(entryId, amount, balance + amount);
    }
}

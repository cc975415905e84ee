using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Points.Contracts;
using Commerce.BuildingBlocks.Mediation;
using Commerce.BuildingBlocks.Outbox;
using Dapper;
using FluentValidation;
using MediatR;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Points.Features.ChargePoints;

public sealed record ChargePoints(long MemberId, long Amount, string? IdempotencyKey = null)
    : ICommand<ChargeResult>, IIdempotentCommand;

public sealed record ChargeResult(long LedgerEntryId, long Amount, long Balance, DateTimeOffset ChargedAt);

public sealed record PointsCharged(long MemberId, long LedgerEntryId, long Amount, long Balance, DateTimeOffset ChargedAt) : IIntegrationEvent
{
    // The stream is the envelope's business (the relay sends it alongside); the payload carries the charge itself.
    [System.Text.Json.Serialization.JsonIgnore]
    public string StreamId => $"member-{MemberId}";
}

internal sealed class ChargePointsValidator : AbstractValidator<ChargePoints>
{
    public ChargePointsValidator(IOptions<PointsOptions> options)
    {
        RuleFor(c => c.Amount).InclusiveBetween(1, options.Value.MaxChargeAmount);
    }
}

/// <summary>
/// Locks one row: the member's wallet (design.md's global lock order 4, and this command takes nothing else).
/// A charge writes lock-then-apply, three round trips; the order flows' deduction (<see cref="PointWallet"/>) is one
/// statement because they call it while holding product rows. One shape would mean rewriting this into that CTE
/// (fewer round trips here) or splitting the deduction (more while product rows are locked): either changes the round
/// trips #11's figures were measured with, so both shapes stay, each where its reason is.
/// </summary>
internal sealed class ChargePointsHandler(DbSession session, Outbox outbox, IOptions<PointsOptions> options, TimeProvider clock)
    : IRequestHandler<ChargePoints, ChargeResult>
{
    // The first charge creates the wallet; the conflict path writes nothing.
    private const string EnsureWalletSql = """
        INSERT INTO points.wallets (member_id, balance, updated_at) VALUES (@MemberId, 0, @Now)
        ON CONFLICT (member_id) DO NOTHING
        """;

    // Also the refund's lock (PointWallet.RefundAsync): one prepared statement for both.
    internal const string LockWalletSql = """
        SELECT balance FROM points.wallets WHERE member_id = @MemberId FOR UPDATE
        """;

    // The new balance and its ledger entry in one round trip while the wallet row is locked. Also the refund's write.
    internal const string ApplySql = """
        UPDATE points.wallets SET balance = @BalanceAfter, updated_at = @Now WHERE member_id = @MemberId;
        INSERT INTO points.ledger (member_id, type, amount, balance_after, reference, created_at)
        VALUES (@MemberId, @Type, @Amount, @BalanceAfter, @Reference, @Now)
        RETURNING id;
        """;

    public async Task<ChargeResult> Handle(ChargePoints command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();

        // 1. Make sure the wallet exists, then lock it (FOR UPDATE); a member who never charged has none yet.
        await session.Connection.ExecuteAsync(session.Command(EnsureWalletSql, new { command.MemberId, Now = now }, ct));
        var balance = await session.Connection.QuerySingleOrDefaultAsync<long?>(session.Command(LockWalletSql, new { command.MemberId }, ct)) ?? 0;

        // 2. The balance limit is checked under the lock, so concurrent charges cannot overshoot it together.
        var maxBalance = options.Value.MaxBalance;
        if (balance + command.Amount > maxBalance)
        {
            throw AppException.Conflict(PointErrors.BalanceLimitExceeded,
                    $"Charging {command.Amount} would take the balance to {balance + command.Amount}, above the limit of {maxBalance}.")
                .With("balance", balance).With("maxBalance", maxBalance);
        }

        // 3. New balance and its ledger entry, still under the lock.
        var newBalance = balance + command.Amount;
        var entryId = await session.Connection.ExecuteScalarAsync<long>(session.Command(ApplySql, new
        {
            command.MemberId,
            Type = LedgerType.Charge,
            command.Amount,
            BalanceAfter = newBalance,
            Reference = (string?)null,
            Now = now,
        }, ct));

        outbox.Record(new PointsCharged(command.MemberId, entryId, command.Amount, newBalance, now));
        return new ChargeResult(entryId, command.Amount, newBalance, now);
    }
}

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
/// Locks one row: the member's wallet (design.md's global lock order 4, and this command takes nothing else). Creating,
/// locking, checking the limit and writing the balance and its ledger entry are one statement, the shape of the order
/// flows' deduction (<see cref="PointWallet"/>): one round trip, and the wallet stays locked only inside the server.
/// </summary>
internal sealed class ChargePointsHandler(DbSession session, Outbox outbox, IOptions<PointsOptions> options, TimeProvider clock)
    : IRequestHandler<ChargePoints, ChargeResult>
{
    // ON CONFLICT DO UPDATE locks the existing wallet and computes on its latest version, so concurrent charges add up and
    // cannot overshoot the limit together; the first charge inserts the wallet. A wallet over the limit stays locked
    // (ON CONFLICT locks the row even when its WHERE fails) and nothing is written or returned; so is a charge above the
    // limit on its own, which inserts nothing.
    internal const string ChargeSql = """
        WITH wallet AS (
            INSERT INTO points.wallets AS w (member_id, balance, updated_at)
            SELECT @MemberId, @Amount, @Now WHERE @Amount <= @MaxBalance
            ON CONFLICT (member_id) DO UPDATE SET balance = w.balance + excluded.balance, updated_at = excluded.updated_at
            WHERE w.balance + excluded.balance <= @MaxBalance
            RETURNING w.balance
        ), entry AS (
            INSERT INTO points.ledger (member_id, type, amount, balance_after, reference, created_at)
            SELECT @MemberId, @Type, @Amount, balance, @Reference, @Now FROM wallet
            RETURNING id, balance_after
        )
        SELECT id AS ledger_entry_id, balance_after FROM entry
        """;

    // Only when nothing was charged: the balance the answer reports, under the lock (already held unless the amount alone
    // is above the limit), so it is the balance the limit was checked against.
    private const string LockWalletSql = """
        SELECT balance FROM points.wallets WHERE member_id = @MemberId FOR UPDATE
        """;

    public async Task<ChargeResult> Handle(ChargePoints command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var maxBalance = options.Value.MaxBalance;

        // 1. Create or lock the wallet, check the limit and write the new balance with its ledger entry, in one statement.
        var charged = await session.Connection.QuerySingleOrDefaultAsync<Charged>(session.Command(ChargeSql, new
        {
            command.MemberId,
            command.Amount,
            Now = now,
            MaxBalance = maxBalance,
            Type = LedgerType.Charge,
            Reference = (string?)null,
        }, ct));

        // 2. Nothing written: the charge would take the balance above the limit.
        if (charged is null)
        {
            var balance = await session.Connection.QuerySingleOrDefaultAsync<long?>(session.Command(LockWalletSql, new { command.MemberId }, ct)) ?? 0;
            throw AppException.Conflict(PointErrors.BalanceLimitExceeded,
                    $"Charging {command.Amount} would take the balance to {balance + command.Amount}, above the limit of {maxBalance}.")
                .With("balance", balance).With("maxBalance", maxBalance);
        }

        var (entryId, newBalance) = (charged.LedgerEntryId, charged.BalanceAfter);
        outbox.Record(new PointsCharged(command.MemberId, entryId, command.Amount, newBalance, now));
        return new ChargeResult(entryId, command.Amount, newBalance, now);
    }

    internal sealed record Charged(long LedgerEntryId, long BalanceAfter);
}

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

internal sealed class ChargePointsHandler(DbSession session, Outbox outbox, IOptions<PointsOptions> options, TimeProvider clock)
    : IRequestHandler<ChargePoints, ChargeResult>
{
    // The first charge creates the wallet; the conflict path writes nothing.
    private const string EnsureWalletSql = """
        INSERT INTO points.wallets (member_id, balance, updated_at) VALUES (@MemberId, 0, @Now)
        ON CONFLICT (member_id) DO NOTHING
        """;

    public async Task<ChargeResult> Handle(ChargePoints command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();

        // 1. Lock the wallet (design.md lock order: the wallet comes last, and this command takes nothing else).
        await session.Connection.ExecuteAsync(session.Command(EnsureWalletSql, new { command.MemberId, Now = now }, ct));
        var balance = await PointsSql.LockWalletAsync(session, command.MemberId, ct) ?? 0;

        // 2. The balance limit is checked under the lock, so concurrent charges cannot overshoot it together.
        var maxBalance = options.Value.MaxBalance;
        if (balance + command.Amount > maxBalance)
        {
            throw AppException.Conflict(PointErrors.BalanceLimitExceeded,
                    $"Charging {command.Amount} would take the balance to {balance + command.Amount}, above the limit of {maxBalance}.")
                .With("balance", balance).With("maxBalance", maxBalance);
        }

        // 3. New balance and its ledger entry in one round trip.
        var newBalance = balance + command.Amount;
        var entryId = await PointsSql.ApplyAsync(session, command.MemberId, LedgerType.Charge, command.Amount, newBalance, null, now, ct);

        outbox.Record(new PointsCharged(command.MemberId, entryId, command.Amount, newBalance, now));
        return new ChargeResult(entryId, command.Amount, newBalance, now);
    }
}

using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.Modules.Orders.Payments;

/// <summary>
/// The default gateway when no real one is configured. It plays an outside system: its record of every payment lives
/// in its own table (<c>gateway_sim.payments</c>), written on its own connection outside any of our transactions, so
/// every instance and every restart see the same gateway (a status check finds what another instance approved, and
/// approving a payment id again returns its first outcome). Settings for latency, declines and lost answers; a
/// latency beyond <see cref="PaymentGatewayOptions.Timeout"/> is a timeout, like a real gateway's (charged, unanswered).
/// </summary>
internal sealed class SimulatedPaymentGateway(NpgsqlDataSource dataSource, IOptionsMonitor<PaymentGatewayOptions> options, TimeProvider clock) : IPaymentGateway
{
    // First decision wins: a concurrent or repeated approve of the same id keeps the recorded outcome.
    private const string DecideSql = """
        INSERT INTO gateway_sim.payments (payment_id, outcome, amount, reference, reason, created_at)
        VALUES (@PaymentId, @Outcome, @Amount, @Reference, @Reason, @Now)
        ON CONFLICT (payment_id) DO NOTHING
        """;

    // Only a payment this gateway approved can be given back; the first decision per refund id wins.
    private const string RefundSql = """
        INSERT INTO gateway_sim.refunds (refund_id, payment_id, outcome, amount, reference, reason, created_at)
        SELECT @RefundId, @PaymentId,
               CASE WHEN p.outcome = 'APPROVED' THEN 'APPROVED' ELSE 'DECLINED' END, @Amount,
               CASE WHEN p.outcome = 'APPROVED' THEN 'sim-refund-' || replace(@RefundId::text, '-', '') END,
               CASE WHEN p.outcome = 'APPROVED' THEN NULL ELSE 'No approved payment to refund.' END, @Now
        FROM (SELECT (SELECT outcome FROM gateway_sim.payments WHERE payment_id = @PaymentId) AS outcome) p
        ON CONFLICT (refund_id) DO NOTHING
        """;

    private const string RefundRecordSql = "SELECT outcome, reference, reason FROM gateway_sim.refunds WHERE refund_id = @RefundId";

    private const string RecordSql = "SELECT outcome, reference, reason FROM gateway_sim.payments WHERE payment_id = @PaymentId";

    public async Task<GatewayAnswer> ApproveAsync(GatewayPayment payment, CancellationToken ct)
    {
        var settings = options.CurrentValue;
        var simulated = settings.Simulated;
        var late = simulated.Latency > settings.Timeout;
        var delay = late ? settings.Timeout : simulated.Latency;
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, clock, ct);
        }

        var (outcome, reference, reason) =
            simulated.DeclineAboveAmount is { } limit && payment.Amount > limit ? ("DECLINED", null, $"Amount above the limit of {limit}.")
            : Random.Shared.NextDouble() < simulated.DeclineRate ? ("DECLINED", (string?)null, "Declined by the issuer.")
            : ("APPROVED", $"sim-{payment.PaymentId:N}", (string?)null);
        GatewayAnswer answer;
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition(DecideSql,
                new { payment.PaymentId, Outcome = outcome, payment.Amount, Reference = reference, Reason = reason, Now = clock.GetUtcNow() }, cancellationToken: ct));
            answer = await ReadAsync(connection, payment.PaymentId, ct);
        }
        catch (NpgsqlException)
        {
            // The simulated gateway is down with its database: like a real one out of reach, the outcome is unknown.
            return Unreachable;
        }

        return late ? GatewayAnswer.Unknown("The gateway did not answer in time (simulated latency above the timeout).")
            : Random.Shared.NextDouble() < simulated.NoAnswerRate ? GatewayAnswer.Unknown("No answer from the gateway (simulated).")
            : answer;
    }

    public async Task<GatewayAnswer> GetStatusAsync(Guid paymentId, CancellationToken ct)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            return await ReadAsync(connection, paymentId, ct);
        }
        catch (NpgsqlException)
        {
            return Unreachable;
        }
    }

    private static GatewayAnswer Unreachable => GatewayAnswer.Unknown("The gateway could not be reached (simulated: its database is unavailable).");

    private static async Task<GatewayAnswer> ReadAsync(NpgsqlConnection connection, Guid paymentId, CancellationToken ct)
    {
        return ToAnswer(await connection.QuerySingleOrDefaultAsync<SimulatedRecord>(
            new CommandDefinition(RecordSql, new { PaymentId = paymentId }, cancellationToken: ct)));
    }

    private static GatewayAnswer ToAnswer(SimulatedRecord? record) =>
        record switch
        {
            null => new GatewayAnswer(GatewayOutcome.NotFound),
            { Outcome: "APPROVED" } => new GatewayAnswer(GatewayOutcome.Approved, Reference: record.Reference),
            _ => new GatewayAnswer(GatewayOutcome.Declined, Reason: record.Reason),
        };

    private sealed record SimulatedRecord(string Outcome, string? Reference, string? Reason);

    public async Task<GatewayAnswer> RefundAsync(GatewayRefund refund, CancellationToken ct)
    {
        var simulated = options.CurrentValue.Simulated;
        if (simulated.Latency > TimeSpan.Zero)
        {
            await Task.Delay(simulated.Latency, clock, ct);
        }

        GatewayAnswer answer;
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition(RefundSql,
                new { refund.RefundId, refund.PaymentId, refund.Amount, Now = clock.GetUtcNow() }, cancellationToken: ct));
            answer = await ReadRefundAsync(connection, refund.RefundId, ct);
        }
        catch (NpgsqlException)
        {
            return Unreachable;
        }

        return Random.Shared.NextDouble() < simulated.NoAnswerRate ? GatewayAnswer.Unknown("No answer from the gateway (simulated).") : answer;
    }

    public async Task<GatewayAnswer> GetRefundStatusAsync(Guid refundId, CancellationToken ct)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            return await ReadRefundAsync(connection, refundId, ct);
        }
        catch (NpgsqlException)
        {
            return Unreachable;
        }
    }

    private static async Task<GatewayAnswer> ReadRefundAsync(NpgsqlConnection connection, Guid refundId, CancellationToken ct) =>
        ToAnswer(await connection.QuerySingleOrDefaultAsync<SimulatedRecord>(
            new CommandDefinition(RefundRecordSql, new { RefundId = refundId }, cancellationToken: ct)));
}

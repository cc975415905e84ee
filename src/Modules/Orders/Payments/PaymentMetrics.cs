using System.Diagnostics.Metrics;
using Commerce.BuildingBlocks.Data;
using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Orders.Payments;

/// <summary>Payments whose gateway outcome is unknown, and late approvals, read from the database (every instance sees the same).</summary>
internal sealed record PaymentBacklog(long Unknown, long Overdue, DateTimeOffset? OldestUnknownAt, long LateApprovals)
{
    public static readonly PaymentBacklog None = new(0, 0, null, 0);

    public double OldestUnknownAgeSeconds(DateTimeOffset now) =>
        OldestUnknownAt is { } oldest ? Math.Max(0, Math.Round((now - oldest).TotalSeconds, 1)) : 0;
}

/// <summary>
/// Meter <c>Commerce.Payments</c>: <c>commerce.payments.unknown</c> (outcome not known yet), <c>.overdue</c> (unknown for
/// longer than <see cref="OrdersOptions.UnknownPaymentAlertAfter"/>: the alert), <c>.oldest_unknown_age</c>,
/// <c>.late_approvals</c> (approved by the gateway after we declined and refunded, not resolved), and the counters
/// <c>.gateway_unknown_answers</c> and <c>.late_approvals_seen</c>. The gauges are refreshed by the reconciler on each
/// run and by every readiness check.
/// </summary>
internal sealed class PaymentMetrics
{
    public const string MeterName = "Commerce.Payments";

    private const string BacklogSql = """
        SELECT
            (SELECT count(*) FROM orders.payments WHERE status = 'PENDING') AS unknown,
            (SELECT count(*) FROM orders.payments WHERE status = 'PENDING' AND created_at < @AlertBefore) AS overdue,
            (SELECT min(created_at) FROM orders.payments WHERE status = 'PENDING') AS oldest_unknown_at,
            (SELECT count(*) FROM orders.payments WHERE late_approved_at IS NOT NULL AND late_resolved_at IS NULL) AS late_approvals
        """;

    private readonly IOptions<OrdersOptions> _options;
    private readonly TimeProvider _clock;
    private readonly Counter<long> _unknownAnswers;
    private readonly Counter<long> _lateApprovals;
    private PaymentBacklog _backlog = PaymentBacklog.None;

    public PaymentMetrics(IMeterFactory meters, IOptions<OrdersOptions> options, TimeProvider clock)
    {
        _options = options;
        _clock = clock;
        var meter = meters.Create(MeterName);
        _unknownAnswers = meter.CreateCounter<long>("commerce.payments.gateway_unknown_answers", "{answer}",
            "Gateway calls without a final answer (timeout, 5xx, 409, 401 ...): the reconciler asks again.");
        _lateApprovals = meter.CreateCounter<long>("commerce.payments.late_approvals_seen", "{payment}",
            "Approvals from the gateway for payments already declined and refunded.");
        meter.CreateObservableGauge("commerce.payments.unknown", () => Backlog.Unknown, "{payment}", "Payments whose gateway outcome is not known yet.");
        meter.CreateObservableGauge("commerce.payments.overdue", () => Backlog.Overdue, "{payment}",
            "Payments unknown for longer than Commerce:Orders:UnknownPaymentAlertAfter.");
        meter.CreateObservableGauge("commerce.payments.oldest_unknown_age", () => Backlog.OldestUnknownAgeSeconds(_clock.GetUtcNow()), "s",
            "Age of the oldest payment whose outcome is unknown.");
        meter.CreateObservableGauge("commerce.payments.late_approvals", () => Backlog.LateApprovals, "{payment}",
            "Late approvals not resolved yet: customers charged by the gateway for a failed order.");
    }

    public PaymentBacklog Backlog => Volatile.Read(ref _backlog);

    public async Task<PaymentBacklog> RefreshAsync(DbSession session, CancellationToken ct)
    {
        var backlog = await session.RunAsync(s => s.Connection.QuerySingleAsync<PaymentBacklog>(s.Command(BacklogSql,
            new { AlertBefore = _clock.GetUtcNow() - _options.Value.UnknownPaymentAlertAfter }, ct)), ct);
        Volatile.Write(ref _backlog, backlog);
        return backlog;
    }

    public void RecordUnknownAnswer() => _unknownAnswers.Add(1);

    public void RecordLateApproval() => _lateApprovals.Add(1);
}

/// <summary>
/// The payments' figures in <c>/health/ready</c>: Degraded (still 200: orders work) while a payment has been unknown
/// longer than the alert limit, or a late approval waits for its customer to be made whole.
/// </summary>
internal sealed class PaymentsHealthCheck(DbSession session, PaymentMetrics metrics, IOptions<OrdersOptions> options, TimeProvider clock) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (await HealthRead.TryAsync(session, metrics.RefreshAsync, cancellationToken) is not { } backlog)
        {
            return HealthCheckResult.Degraded("The payments could not be read.");
        }

        var data = new Dictionary<string, object>
        {
            ["unknown"] = backlog.Unknown,
            ["overdue"] = backlog.Overdue,
            ["oldestUnknownAgeSeconds"] = backlog.OldestUnknownAgeSeconds(clock.GetUtcNow()),
            ["lateApprovals"] = backlog.LateApprovals,
        };
        if (backlog.LateApprovals > 0)
        {
            return HealthCheckResult.Degraded($"{backlog.LateApprovals} payment(s) approved by the gateway after we refunded them: the customers must be refunded.", data: data);
        }

        return backlog.Overdue > 0
            ? HealthCheckResult.Degraded($"{backlog.Overdue} payment(s) unknown for more than {options.Value.UnknownPaymentAlertAfter}: the gateway is not answering usefully.", data: data)
            : HealthCheckResult.Healthy($"{backlog.Unknown} payment(s) waiting for the gateway's answer.", data);
    }
}

using System.Diagnostics.Metrics;
using Commerce.BuildingBlocks.Data;
using Dapper;

namespace Commerce.BuildingBlocks.Outbox;

/// <summary>What is waiting in <c>platform.outbox</c>, read from the database (every instance sees the same figures).</summary>
public sealed record OutboxBacklog(long Pending, DateTimeOffset? OldestPendingAt, long DeadLetters)
{
    public static readonly OutboxBacklog Unknown = new(0, null, 0);

    public double OldestPendingAgeSeconds(DateTimeOffset now) =>
        OldestPendingAt is { } oldest ? Math.Max(0, Math.Round((now - oldest).TotalSeconds, 1)) : 0;
}

/// <summary>The data platform refusing our deliveries (not the events): since when, and its last answer.</summary>
public sealed record PlatformRefusal(DateTimeOffset Since, string LastError);

/// <summary>
/// Meter <c>Commerce.Outbox</c>. Counters are this instance's deliveries since it started; the gauges show the
/// shared backlog, refreshed by the relay every <see cref="OutboxOptions.StatsInterval"/> and by each readiness check
/// (an observable gauge must not query the database on the collector's thread).
/// </summary>
public sealed class OutboxMetrics
{
    public const string MeterName = "Commerce.Outbox";

    // The lowest pending seq is the oldest pending event: one probe of outbox_pending_idx ("seq > 0" is its predicate's).
    private const string BacklogSql = """
        SELECT
            (SELECT count(*) FROM platform.outbox WHERE delivered_at IS NULL AND dead_lettered_at IS NULL) AS pending,
            (SELECT occurred_at FROM platform.outbox WHERE delivered_at IS NULL AND dead_lettered_at IS NULL AND seq > 0 ORDER BY seq LIMIT 1) AS oldest_pending_at,
            (SELECT count(*) FROM platform.outbox WHERE dead_lettered_at IS NOT NULL) AS dead_letters
        """;

    private readonly Counter<long> _delivered;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _deadLettered;
    private readonly Histogram<double> _lag;
    private readonly TimeProvider _clock;
    private long _deliveredTotal;
    private long _failedTotal;
    private long _deadLetteredTotal;
    private OutboxBacklog _backlog = OutboxBacklog.Unknown;
    private PlatformRefusal? _refusal;

    public OutboxMetrics(IMeterFactory meters, TimeProvider clock)
    {
        _clock = clock;
        var meter = meters.Create(MeterName);
        _delivered = meter.CreateCounter<long>("commerce.outbox.delivered", "{event}", "Events the data platform acknowledged.");
        _failed = meter.CreateCounter<long>("commerce.outbox.failed", "{attempt}", "Delivery attempts that failed and will be retried.");
        _deadLettered = meter.CreateCounter<long>("commerce.outbox.dead_lettered", "{event}", "Events given up on (rejected, or out of attempts).");
        _lag = meter.CreateHistogram<double>("commerce.outbox.lag", "s", "From an event's commit to the platform's acknowledgement.");
        meter.CreateObservableGauge("commerce.outbox.pending", () => Backlog.Pending, "{event}", "Events not yet delivered nor dead-lettered.");
        meter.CreateObservableGauge("commerce.outbox.oldest_pending_age", () => Backlog.OldestPendingAgeSeconds(_clock.GetUtcNow()), "s",
            "Age of the oldest undelivered event.");
        meter.CreateObservableGauge("commerce.outbox.dead_letters", () => Backlog.DeadLetters, "{event}", "Dead-lettered events waiting for an operator.");
        meter.CreateObservableGauge("commerce.outbox.platform_refusing", () => Refusal is null ? 0 : 1, "{state}",
            "1 while the data platform refuses our deliveries (401, 403, 404 ...: credentials or configuration), until one is acknowledged again.");
    }

    /// <summary>Since when, and with what, the platform refuses this instance's deliveries; null once one is acknowledged.</summary>
    public PlatformRefusal? Refusal => Volatile.Read(ref _refusal);

    public long Delivered => Interlocked.Read(ref _deliveredTotal);

    public long Failed => Interlocked.Read(ref _failedTotal);

    public long DeadLettered => Interlocked.Read(ref _deadLetteredTotal);

    public OutboxBacklog Backlog => Volatile.Read(ref _backlog);

    public async Task<OutboxBacklog> RefreshBacklogAsync(DbSession session, CancellationToken ct)
    {
        var backlog = await session.RunAsync(s => s.Connection.QuerySingleAsync<OutboxBacklog>(s.Command(BacklogSql, null, ct)), ct);
        Volatile.Write(ref _backlog, backlog);
        return backlog;
    }

    internal void RecordDelivered(DateTimeOffset occurredAt, DateTimeOffset now)
    {
        Volatile.Write(ref _refusal, null);
        Interlocked.Increment(ref _deliveredTotal);
        _delivered.Add(1);
        _lag.Record(Math.Max(0, (now - occurredAt).TotalSeconds));
    }

    internal void RecordFailed(bool refused, string error, DateTimeOffset now)
    {
        Interlocked.Increment(ref _failedTotal);
        _failed.Add(1, new KeyValuePair<string, object?>("reason", refused ? "refused" : "unavailable"));
        if (refused)
        {
            var since = Refusal?.Since ?? now;
            Volatile.Write(ref _refusal, new PlatformRefusal(since, error));
        }
    }

    internal void RecordDeadLettered()
    {
        Interlocked.Increment(ref _deadLetteredTotal);
        _deadLettered.Add(1);
    }
}

using System.Diagnostics;
using System.Diagnostics.Metrics;
using Commerce.BuildingBlocks.Outbox;

namespace Commerce.BuildingBlocks.Telemetry;

/// <summary>
/// The business meter and the trace source, recorded in a few central places (the mediator pipeline, the outbox
/// behaviour's commit hook, the transaction retry loop, idempotency) rather than in every handler. Static, like the
/// framework's own sources: an exporter subscribes by name (<see cref="Name"/>), and nothing is recorded when none does.
/// </summary>
public static class CommerceTelemetry
{
    public const string Name = "Commerce";

    /// <summary>One span per mediator request, named after the feature (e.g. <c>Checkout</c>), and one per relay batch.</summary>
    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    // Seconds, with buckets that resolve a 2-ms read and a 3-s lock wait alike (the SDK's default buckets are for milliseconds).
    private static readonly InstrumentAdvice<double> LatencyBuckets = new()
    {
        HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };

    private static readonly Histogram<double> CommandDuration = Meter.CreateHistogram("commerce.command.duration", "s",
        "Mediator requests (features) by name and outcome: ok, or the problem code they were refused with.", advice: LatencyBuckets);

    private static readonly Counter<long> Orders = Meter.CreateCounter<long>("commerce.orders", "{order}",
        "Committed order events (placed, paid, payment_failed, cancelled, expired) by the feature that caused them.");

    private static readonly Counter<long> CouponsIssued = Meter.CreateCounter<long>("commerce.coupons.issued", "{coupon}", "Coupons issued, per campaign.");

    private static readonly Counter<long> CouponsSoldOut = Meter.CreateCounter<long>("commerce.coupons.sold_out", "{answer}",
        "Claims answered COUPON_SOLD_OUT, per campaign.");

    private static readonly Counter<long> LockTimeouts = Meter.CreateCounter<long>("commerce.lock_timeouts", "{command}",
        "Commands refused with LOCK_TIMEOUT: a row lock was not granted within Commerce:Database:LockTimeout.");

    private static readonly Counter<long> DeadlockRetries = Meter.CreateCounter<long>("commerce.deadlock_retries", "{attempt}",
        "Whole-command retries after a deadlock (40P01), serialization failure (40001) or stale read (CMSTL).");

    private static readonly Counter<long> IdempotentReplays = Meter.CreateCounter<long>("commerce.idempotent_replays", "{request}",
        "Requests answered from a stored response because their Idempotency-Key was used before.");

    private static readonly Counter<long> Shed = Meter.CreateCounter<long>("commerce.requests.shed", "{request}",
        "Requests refused with 503 OVERLOADED before any work was done, by kind: read (GET, HEAD) or write.");

    // The outermost request of this flow (an HTTP call's feature, or a background job's command): events committed by a
    // nested step are counted under it, so an OrderPaid says whether PayOrder, the reconciler or Checkout paid it.
    private static readonly AsyncLocal<string?> Root = new();

    internal static string? CurrentRoot => Root.Value;

    /// <summary>Marks <paramref name="request"/> as the flow's outermost request unless one is already set; whether it is.</summary>
    internal static bool EnterRequest(string request)
    {
        if (Root.Value is not null)
        {
            return false;
        }

        Root.Value = request;
        return true;
    }

    internal static void RecordCommand(string request, string outcome, double seconds) =>
        CommandDuration.Record(seconds, new("command", request), new("outcome", outcome));

    internal static void RecordLockTimeout(string request) => LockTimeouts.Add(1, new KeyValuePair<string, object?>("command", request));

    internal static void RecordDeadlockRetry(string request) => DeadlockRetries.Add(1, new KeyValuePair<string, object?>("command", request));

    internal static void RecordIdempotentReplay(string request) => IdempotentReplays.Add(1, new KeyValuePair<string, object?>("command", request));

    internal static void RecordSoldOut(object? campaignId) => CouponsSoldOut.Add(1, new KeyValuePair<string, object?>("campaign", campaignId?.ToString()));

    /// <summary>A request of <paramref name="kind"/> (read or write) was shed by the host's admission limit.</summary>
    public static void RecordShed(string kind) => Shed.Add(1, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>A coupon of <paramref name="campaignId"/> was issued (IssueCoupon has no outbox event to count it from).</summary>
    public static void RecordCouponIssued(long campaignId) => CouponsIssued.Add(1, new KeyValuePair<string, object?>("campaign", campaignId.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>Called once the transaction that wrote <paramref name="events"/> committed: rolled-back work is never counted.</summary>
    internal static void RecordCommitted(IReadOnlyList<IIntegrationEvent> events, string? via)
    {
        foreach (var e in events)
        {
            if (OrderEventName(e.GetType()) is { } name)
            {
                Orders.Add(1, new KeyValuePair<string, object?>("event", name), new KeyValuePair<string, object?>("via", via));
            }
        }
    }

    // OrderPlaced → placed, OrderPaymentFailed → payment_failed: the event names are the order's life cycle.
    private static string? OrderEventName(Type type) => OrderEventNames.GetOrAdd(type, static t =>
        t.Name.StartsWith("Order", StringComparison.Ordinal) && t.Name.Length > "Order".Length ? SnakeCase(t.Name["Order".Length..]) : null);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, string?> OrderEventNames = new();

    private static string SnakeCase(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && builder.Length > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }
}

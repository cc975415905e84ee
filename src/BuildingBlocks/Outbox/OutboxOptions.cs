namespace Commerce.BuildingBlocks.Outbox;

/// <summary><c>Commerce:Outbox</c>: how the relay claims, retries and cleans up outbox rows.</summary>
public sealed class OutboxOptions
{
    public const string Section = "Commerce:Outbox";

    /// <summary>
    /// Batches in flight at once per instance, each its own transaction and connection. A batch commits when its
    /// slowest delivery ends, so lanes keep one slow call from holding up everything else.
    /// </summary>
    public int Lanes { get; set; } = 4;

    /// <summary>Rows claimed per batch; a batch holds at most one row per stream (its head).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Deliveries of one batch in flight at once (different streams).</summary>
    public int MaxConcurrency { get; set; } = 16;

    /// <summary>
    /// How long a lane woken by a commit, or back from a batch that was not full, waits before it claims, so that one
    /// batch carries the events of the commits meanwhile instead of one or two each: the claim, the record and the
    /// file sink's fsync are paid per batch. Delivery lag grows by about this much. Zero claims at once.
    /// </summary>
    public TimeSpan Linger { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>The fallback when no commit wakes the relay: events of other instances, retries that became due.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A failing event is retried (with backoff) until it is this old, then dead-lettered; an outage or a refusal
    /// (401, 403 ...) shorter than this loses nothing. An event the platform calls invalid (400, 422) dies at once.
    /// </summary>
    public TimeSpan DeadLetterAfter { get; set; } = TimeSpan.FromDays(3);

    /// <summary>The wait after the first failure; it doubles per attempt (with jitter) up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Delivered rows are deleted this long after delivery. Dead letters stay until requeued.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The readiness check reports Degraded when the oldest pending event is older than this.</summary>
    public TimeSpan DegradedAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the relay refreshes the backlog figures behind the gauges.</summary>
    public TimeSpan StatsInterval { get; set; } = TimeSpan.FromSeconds(10);

    internal bool IsValid() =>
        Lanes is >= 1 and <= 32 && BatchSize is >= 1 and <= 1000 && MaxConcurrency is >= 1 and <= 256 && DeadLetterAfter > TimeSpan.Zero
        && Linger >= TimeSpan.Zero && Linger <= TimeSpan.FromSeconds(1) && PollInterval > TimeSpan.Zero && InitialBackoff > TimeSpan.Zero && MaxBackoff >= InitialBackoff
        && Retention > TimeSpan.Zero && CleanupInterval > TimeSpan.Zero && DegradedAfter > TimeSpan.Zero && StatsInterval > TimeSpan.Zero;
}

/// <summary><c>Commerce:DataPlatform</c>: where events go.</summary>
public sealed class DataPlatformOptions
{
    public const string Section = "Commerce:DataPlatform";

    /// <summary>The platform's endpoint for events (POST). Unset: the local JSON-lines sink under <c>Commerce:DataDirectory</c>.</summary>
    public string? Url { get; set; }

    /// <summary>Every delivery is abandoned (and retried later) after this long.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    internal bool IsValid() =>
        Timeout > TimeSpan.Zero
        && (string.IsNullOrWhiteSpace(Url) || (Uri.TryCreate(Url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"));
}

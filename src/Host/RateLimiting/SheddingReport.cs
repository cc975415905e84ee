using Commerce.BuildingBlocks.Telemetry;

namespace Commerce.Host.RateLimiting;

/// <summary>
/// Shed requests, counted (<c>commerce.requests.shed</c>) and logged as one summary line per kind and second, not one
/// line each: an overloaded instance refuses thousands a second, and a line per refusal spent CPU (and, once the
/// asynchronous console queue was full, the request threads' time) exactly when the instance had none to spare.
/// </summary>
internal sealed class SheddingReport(ILogger<SheddingReport> logger, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private long _reads;
    private long _writes;

    public void Record(RequestKind kind)
    {
        Interlocked.Increment(ref kind == RequestKind.Read ? ref _reads : ref _writes);
        CommerceTelemetry.RecordShed(Name(kind));
    }

    /// <summary>Logs what was shed since the last call, if anything.</summary>
    internal void Flush()
    {
        Report(RequestKind.Read, Interlocked.Exchange(ref _reads, 0));
        Report(RequestKind.Write, Interlocked.Exchange(ref _writes, 0));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // A delay after each report rather than a periodic timer: a late tick would be followed by the next one at
            // once, two lines well within one second.
            while (true)
            {
                await Task.Delay(Interval, time, stoppingToken);
                Flush();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: what was shed since the last tick is still reported.
        }

        Flush();
    }

    private void Report(RequestKind kind, long count)
    {
        if (count > 0)
        {
            logger.LogWarning("Shed {Count} {Kind} requests in the last second (503 OVERLOADED): more arrived than the instance admits", count, Name(kind));
        }
    }

    private static string Name(RequestKind kind) => kind == RequestKind.Read ? "read" : "write";
}

using System.Threading.RateLimiting;
using Commerce.BuildingBlocks.Errors;
using Commerce.Host.Errors;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.Host.RateLimiting;

/// <summary><c>Commerce:Overload</c>: how much work the instance admits at once before it refuses the rest.</summary>
internal sealed class OverloadOptions
{
    public const string Section = "Commerce:Overload";

    public bool Enabled { get; set; } = true;

    /// <summary>GET and HEAD: one short query each (or none, when cached), the rest is CPU.</summary>
    public AdmissionOptions Reads { get; set; } = new();

    /// <summary>Every other method: a transaction each, holding a pooled connection for most of its run.</summary>
    public AdmissionOptions Writes { get; set; } = new();

    /// <summary>How long a request may wait for a slot before it is refused: what an admitted request can lose to
    /// the queue, so an overloaded instance still answers what it admits within about half a second. It also decides
    /// who may wait at all: a request that finds no free slot joins the queue only if the requests already queued ahead
    /// of it are served within this time at the rate its kind completes now; otherwise it is refused at once rather
    /// than after waiting this long for nothing (see <see cref="OverloadGate.MayQueue(long, double, TimeSpan)"/>).</summary>
    public TimeSpan MaxQueueWait { get; set; } = TimeSpan.FromMilliseconds(300);

    internal bool IsValid => Reads.IsValid && Writes.IsValid && MaxQueueWait >= TimeSpan.Zero;
}

/// <summary>One kind of request's own limit and queue.</summary>
internal sealed class AdmissionOptions
{
    /// <summary>Requests of this kind that run at once; unset, it follows the pool and the cores (see <see cref="OverloadGate"/>).</summary>
    public int? MaxConcurrentRequests { get; set; }

    /// <summary>Requests that may wait for a slot at most; beyond this they are refused at once. Long enough that a burst of a
    /// few hundred clients waits rather than being refused: measured with 64, a closed loop of 100 clients had 70 % of
    /// its requests refused (each refusal comes back at once and is refused again); with 1,000, 11 %. Below this cap
    /// the queue is as long as the current completion rate serves within <see cref="OverloadOptions.MaxQueueWait"/>
    /// (about 190 charges at 620 a second and 300 ms), so the cap only matters while that rate is not yet known.</summary>
    public int QueueLimit { get; set; } = 1_000;

    internal bool IsValid => MaxConcurrentRequests is null or > 0 && QueueLimit >= 0;
}

internal enum RequestKind
{
    Read,
    Write,
}

/// <summary>
/// Load shedding: the framework's <see cref="ConcurrencyLimiter"/> in front of authentication (the member check
/// spends a connection, so an overloaded instance must refuse before it), one for reads and one for writes, so a flood
/// of checkouts cannot refuse the product page and a flood of page views cannot refuse checkouts. A request that finds
/// no free slot waits only if the queue ahead of it drains within <see cref="OverloadOptions.MaxQueueWait"/> at the
/// rate its kind completes now; otherwise, or when its queue is full or its wait runs out, it is answered with 503
/// OVERLOADED and Retry-After. Refusing at once what the queue cannot serve in time matters under a sustained overload:
/// the queue then stays full, and without the rule every refused request first waited the whole MaxQueueWait (and the
/// admitted ones behind a queue that long). A refused request never reached a handler, so nothing of it is committed.
/// An admitted request runs to the end. Health probes are never shed: an overloaded instance is still alive and ready.
/// </summary>
internal sealed class OverloadShedding(RequestDelegate next, OverloadGate gate, SheddingReport report, IOptions<OverloadOptions> options, TimeProvider time)
{
    /// <summary>Set on a request that was shed, so the request log leaves it to <see cref="SheddingReport"/>'s summary.</summary>
    public static readonly object ShedKey = new();

    private readonly OverloadOptions _options = options.Value;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!_options.Enabled || context.Request.Path.StartsWithSegments("/health"))
        {
            await next(context);
            return;
        }

        var kind = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) ? RequestKind.Read : RequestKind.Write;
        var limiter = gate.For(kind);
        using var lease = limiter.AttemptAcquire() is { IsAcquired: true } immediate ? immediate
            : gate.MayQueue(kind, _options.MaxQueueWait) ? await WaitAsync(limiter, context)
            : Refused.Lease;
        if (!lease.IsAcquired)
        {
            context.Items[ShedKey] = kind;
            report.Record(kind);
            await RefuseAsync(context);
            return;
        }

        var started = time.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            gate.Completed(kind, time.GetElapsedTime(started));
        }
    }

    private async Task<RateLimitLease> WaitAsync(ConcurrencyLimiter limiter, HttpContext context)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        wait.CancelAfter(_options.MaxQueueWait);
        try
        {
            return await limiter.AcquireAsync(1, wait.Token);
        }
        catch (OperationCanceledException)
        {
            return Refused.Lease;
        }
    }

    private static async Task RefuseAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "1";
        var problem = ProblemMapper.Problem(503, ErrorCodes.Overloaded, "The service is busy; try again in a second.");
        problem.Extensions["retryable"] = true;
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = problem,
        });
    }

    /// <summary>A lease that was not granted (the queue could not serve it in time, or the wait ran out).</summary>
    private sealed class Refused : RateLimitLease
    {
        public static readonly Refused Lease = new();

        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}

/// <summary>
/// The instance's two concurrency limiters (a singleton, so the container disposes them). Unset limits follow what the
/// instance can serve:
/// <list type="bullet">
/// <item>writes: four times the request pool (32 with the default pool of 8). A write holds a pooled connection for
/// its transaction, and more writes would only queue for the pool, ahead of the reads that need one for a short query;
/// but a payment also waits for the gateway holding no connection at all, and others authenticate, hash a password or
/// send their answer meanwhile. Twice the pool was measured too: reads beside a write overload fared no better within
/// the noise, and a slow gateway then held every write slot with 16 payments (the crash test's 30 in-flight payments
/// no longer all reached the gateway).</item>
/// <item>reads: 32 per core (64 on two cores). A read spends most of its time on the CPU (routing, JSON, Kestrel) and
/// holds a connection for one short query, or none when cached: the pool serves tens of thousands of such queries a
/// second, the cores a few thousand reads, so the cores are the limit. 32 per core keeps them busy while reads wait on
/// their round trip, and lets a 20-ms stall at 3,000 reads a second pass without queueing.</item>
/// </list>
/// Each kind also keeps the mean time its admitted requests hold a slot, from which <see cref="MayQueue(RequestKind, TimeSpan)"/>
/// tells how fast its queue drains.
/// </summary>
internal sealed class OverloadGate : IDisposable
{
    private readonly Lane _reads;
    private readonly Lane _writes;

    public OverloadGate(IOptions<OverloadOptions> options, NpgsqlDataSource dataSource)
    {
        var pool = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).MaxPoolSize;
        _reads = new Lane(options.Value.Reads, 32 * Environment.ProcessorCount);
        _writes = new Lane(options.Value.Writes, 4 * pool);
    }

    public ConcurrencyLimiter Reads => _reads.Limiter;

    public ConcurrencyLimiter Writes => _writes.Limiter;

    public ConcurrencyLimiter For(RequestKind kind) => LaneFor(kind).Limiter;

    /// <summary>An admitted request of this kind gave its slot back after holding it this long.</summary>
    public void Completed(RequestKind kind, TimeSpan held) => LaneFor(kind).Held.Record(held);

    /// <summary>Whether a request of this kind that found no free slot may wait for one: the rule below, with the
    /// kind's queue and its current rate.</summary>
    public bool MayQueue(RequestKind kind, TimeSpan maxQueueWait)
    {
        var lane = LaneFor(kind);
        return MayQueue(lane.Limiter.GetStatistics()!.CurrentQueuedCount, lane.Held.CompletionsPerSecond(lane.Permits), maxQueueWait);
    }

    /// <summary>
    /// The admission rule: a request that finds every slot taken waits only if the <paramref name="queued"/> requests
    /// ahead of it are served within <paramref name="maxQueueWait"/> at <paramref name="completionsPerSecond"/>, the rate
    /// slots are given back now; otherwise it could only wait the whole time and be refused then, so it is refused at
    /// once. Requests let in together may overshoot the bound by a few; the wait's deadline still holds each of them.
    /// </summary>
    internal static bool MayQueue(long queued, double completionsPerSecond, TimeSpan maxQueueWait) =>
        maxQueueWait > TimeSpan.Zero && queued < completionsPerSecond * maxQueueWait.TotalSeconds;

    public void Dispose()
    {
        _reads.Limiter.Dispose();
        _writes.Limiter.Dispose();
    }

    private Lane LaneFor(RequestKind kind) => kind == RequestKind.Read ? _reads : _writes;

    private sealed class Lane
    {
        public Lane(AdmissionOptions options, int defaultLimit)
        {
            Permits = options.MaxConcurrentRequests ?? defaultLimit;
            Limiter = new(new ConcurrencyLimiterOptions
            {
                PermitLimit = Permits,
                QueueLimit = options.QueueLimit,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            });
        }

        public int Permits { get; }

        public ConcurrencyLimiter Limiter { get; }

        public SlotTime Held { get; } = new();
    }
}

/// <summary>
/// The mean time a kind's admitted requests hold their slot, weighted towards the latest (each completion moves it a
/// 32nd of the way: about the last hundred requests count, a fraction of a second under overload).
/// <para>
/// While every slot is taken, which is the only time the admission rule asks, slots come back at permits ÷ this mean
/// a second (Little's law). Measured that way the rate is known from the first completions on, and survives an idle
/// period: a counter of completions in the last second would read zero after a quiet minute and refuse a burst the
/// instance can serve. The mean starts at zero and climbs towards what is measured, so a cold instance errs on the side
/// of queueing (the configured QueueLimit and MaxQueueWait still bound it) until a few dozen requests have completed;
/// after an idle period the last mean, if anything from a light load, errs the same way and corrects itself as fast.
/// </para>
/// </summary>
internal sealed class SlotTime
{
    private const int Weight = 32;

    private long _meanTicks;

    public TimeSpan Mean => TimeSpan.FromTicks(Volatile.Read(ref _meanTicks));

    public void Record(TimeSpan held)
    {
        // Lock-free: every admitted request records here, thousands a second under load.
        while (true)
        {
            var mean = Volatile.Read(ref _meanTicks);
            var next = mean + ((held.Ticks - mean) / Weight);
            if (Interlocked.CompareExchange(ref _meanTicks, next, mean) == mean)
            {
                return;
            }
        }
    }

    /// <summary>The rate slots come back while all <paramref name="permits"/> are taken; unbounded before anything was measured.</summary>
    public double CompletionsPerSecond(int permits) => Mean is { Ticks: > 0 } mean ? permits / mean.TotalSeconds : double.PositiveInfinity;
}

internal static class OverloadSheddingExtensions
{
    public static IServiceCollection AddOverloadShedding(this IServiceCollection services, IConfiguration configuration)
    {
        // Unknown keys refuse to start: the section's keys were renamed once (MaxConcurrentRequests and QueueLimit moved
        // under Reads and Writes), and an operator's old setting silently ignored would leave the instance unprotected.
        services.AddOptions<OverloadOptions>().Bind(configuration.GetSection(OverloadOptions.Section), binder => binder.ErrorOnUnknownConfiguration = true)
            .Validate(o => o.IsValid, $"{OverloadOptions.Section}: Reads and Writes MaxConcurrentRequests must be positive, QueueLimit and MaxQueueWait not negative.")
            .ValidateOnStart();
        services.AddSingleton<SheddingReport>();
        services.AddHostedService(sp => sp.GetRequiredService<SheddingReport>());
        return services.AddSingleton<OverloadGate>();
    }

    public static IApplicationBuilder UseOverloadShedding(this IApplicationBuilder app) => app.UseMiddleware<OverloadShedding>();
}

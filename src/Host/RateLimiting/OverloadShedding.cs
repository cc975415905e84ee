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
    /// the queue, so an overloaded instance still answers what it admits within about half a second.</summary>
    public TimeSpan MaxQueueWait { get; set; } = TimeSpan.FromMilliseconds(300);

    internal bool IsValid => Reads.IsValid && Writes.IsValid && MaxQueueWait >= TimeSpan.Zero;
}

/// <summary>One kind of request's own limit and queue.</summary>
internal sealed class AdmissionOptions
{
    /// <summary>Requests of this kind that run at once; unset, it follows the pool and the cores (see <see cref="OverloadGate"/>).</summary>
    public int? MaxConcurrentRequests { get; set; }

    /// <summary>Requests that may wait for a slot; beyond this they are refused at once. Long enough that a burst of a
    /// few hundred clients waits rather than being refused: measured with 64, a closed loop of 100 clients had 70 % of
    /// its requests refused (each refusal comes back at once and is refused again); with 1,000, 11 %. The wait, not the
    /// queue, is what bounds an admitted request's latency.</summary>
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
/// of checkouts cannot refuse the product page and a flood of page views cannot refuse checkouts. A request that gets
/// no slot within <see cref="OverloadOptions.MaxQueueWait"/>, or finds its queue full, is answered at once with 503
/// OVERLOADED and Retry-After; it never reached a handler, so nothing of it is committed. An admitted request runs to
/// the end. Health probes are never shed: an overloaded instance is still alive and ready.
/// </summary>
internal sealed class OverloadShedding(RequestDelegate next, OverloadGate gate, SheddingReport report, IOptions<OverloadOptions> options)
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
        using var lease = limiter.AttemptAcquire() is { IsAcquired: true } immediate ? immediate : await WaitAsync(limiter, context);
        if (!lease.IsAcquired)
        {
            context.Items[ShedKey] = kind;
            report.Record(kind);
            await RefuseAsync(context);
            return;
        }

        await next(context);
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

    /// <summary>A lease that was not granted (the wait ran out).</summary>
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
/// </summary>
internal sealed class OverloadGate : IDisposable
{
    public OverloadGate(IOptions<OverloadOptions> options, NpgsqlDataSource dataSource)
    {
        var pool = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).MaxPoolSize;
        Reads = Limiter(options.Value.Reads, 32 * Environment.ProcessorCount);
        Writes = Limiter(options.Value.Writes, 4 * pool);
    }

    public ConcurrencyLimiter Reads { get; }

    public ConcurrencyLimiter Writes { get; }

    public ConcurrencyLimiter For(RequestKind kind) => kind == RequestKind.Read ? Reads : Writes;

    public void Dispose()
    {
        Reads.Dispose();
        Writes.Dispose();
    }

    private static ConcurrencyLimiter Limiter(AdmissionOptions options, int defaultLimit) => new(new ConcurrencyLimiterOptions
    {
        PermitLimit = options.MaxConcurrentRequests ?? defaultLimit,
        QueueLimit = options.QueueLimit,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });
}

internal static class OverloadSheddingExtensions
{
    public static IServiceCollection AddOverloadShedding(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OverloadOptions>().Bind(configuration.GetSection(OverloadOptions.Section))
            .Validate(o => o.IsValid, $"{OverloadOptions.Section}: Reads and Writes MaxConcurrentRequests must be positive, QueueLimit and MaxQueueWait not negative.")
            .ValidateOnStart();
        services.AddSingleton<SheddingReport>();
        services.AddHostedService(sp => sp.GetRequiredService<SheddingReport>());
        return services.AddSingleton<OverloadGate>();
    }

    public static IApplicationBuilder UseOverloadShedding(this IApplicationBuilder app) => app.UseMiddleware<OverloadShedding>();
}

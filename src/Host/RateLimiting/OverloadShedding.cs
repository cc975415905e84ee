using System.Threading.RateLimiting;
using Commerce.BuildingBlocks.Errors;
using Commerce.Host.Errors;
using Microsoft.Extensions.Options;

namespace Commerce.Host.RateLimiting;

/// <summary><c>Commerce:Overload</c>: how much work the instance admits at once before it refuses the rest.</summary>
internal sealed class OverloadOptions
{
    public const string Section = "Commerce:Overload";

    public bool Enabled { get; set; } = true;

    /// <summary>Requests that run at once. Four times the request pool: enough to keep every pooled connection busy
    /// while others parse, hash a password or write their answer; more would only wait for a connection.</summary>
    public int MaxConcurrentRequests { get; set; } = 32;

    /// <summary>Requests that may wait for a slot; beyond this they are refused at once. Long enough that a burst of a
    /// few hundred clients waits rather than being refused: measured with 64, a closed loop of 100 clients had 70 % of
    /// its requests refused (each refusal comes back at once and is refused again); with 1,000, 11 %. The wait, not the
    /// queue, is what bounds an admitted request's latency.</summary>
    public int QueueLimit { get; set; } = 1_000;

    /// <summary>How long a request may wait for a slot before it is refused: what an admitted request can lose to
    /// the queue, so an overloaded instance still answers what it admits within about half a second.</summary>
    public TimeSpan MaxQueueWait { get; set; } = TimeSpan.FromMilliseconds(300);

    internal bool IsValid => MaxConcurrentRequests > 0 && QueueLimit >= 0 && MaxQueueWait >= TimeSpan.Zero;
}

/// <summary>
/// Load shedding: the framework's <see cref="ConcurrencyLimiter"/> in front of authentication (the member check
/// spends a connection, so an overloaded instance must refuse before it). A request that gets no slot within
/// <see cref="OverloadOptions.MaxQueueWait"/>, or finds the queue full, is answered at once with 503 OVERLOADED and
/// Retry-After; it never reached a handler, so nothing of it is committed. An admitted request runs to the end.
/// Health probes are never shed: an overloaded instance is still alive and ready.
/// </summary>
internal sealed class OverloadShedding(RequestDelegate next, OverloadGate gate, IOptions<OverloadOptions> options)
{
    private readonly OverloadOptions _options = options.Value;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!_options.Enabled || context.Request.Path.StartsWithSegments("/health"))
        {
            await next(context);
            return;
        }

        using var lease = gate.Limiter.AttemptAcquire() is { IsAcquired: true } immediate ? immediate : await WaitAsync(context);
        if (!lease.IsAcquired)
        {
            await RefuseAsync(context);
            return;
        }

        await next(context);
    }

    private async Task<RateLimitLease> WaitAsync(HttpContext context)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        wait.CancelAfter(_options.MaxQueueWait);
        try
        {
            return await gate.Limiter.AcquireAsync(1, wait.Token);
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

/// <summary>The instance's one concurrency limiter (a singleton, so the container disposes it).</summary>
internal sealed class OverloadGate(IOptions<OverloadOptions> options) : IDisposable
{
    public ConcurrencyLimiter Limiter { get; } = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = options.Value.MaxConcurrentRequests,
        QueueLimit = options.Value.QueueLimit,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    public void Dispose() => Limiter.Dispose();
}

internal static class OverloadSheddingExtensions
{
    public static IServiceCollection AddOverloadShedding(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OverloadOptions>().Bind(configuration.GetSection(OverloadOptions.Section))
            .Validate(o => o.IsValid, $"{OverloadOptions.Section}: MaxConcurrentRequests must be positive, QueueLimit and MaxQueueWait not negative.")
            .ValidateOnStart();
        return services.AddSingleton<OverloadGate>();
    }

    public static IApplicationBuilder UseOverloadShedding(this IApplicationBuilder app) => app.UseMiddleware<OverloadShedding>();
}

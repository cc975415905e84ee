using System.Threading.RateLimiting;

namespace Commerce.BuildingBlocks.Security;

/// <summary>The rate-limit policies endpoints opt into with <c>RequireRateLimiting</c>; the Host defines them.</summary>
public static class RateLimitPolicies
{
    /// <summary>Log in, per client address (the Members module adds a limit per email).</summary>
    public const string Login = "login";

    /// <summary>Sign up, per client address.</summary>
    public const string SignUp = "sign-up";

    /// <summary>Coupon claims, per member.</summary>
    public const string IssueCoupon = "issue-coupon";

    /// <summary>Point charges, per member.</summary>
    public const string ChargePoints = "charge-points";
}

/// <summary><c>Commerce:RateLimits</c>: fixed windows, in memory per instance. <see cref="Enabled"/> false turns every limit off.</summary>
public sealed class RateLimitOptions
{
    public const string Section = "Commerce:RateLimits";

    public bool Enabled { get; set; } = true;

    public RateLimitRule Login { get; set; } = new() { PermitLimit = 30, Window = TimeSpan.FromMinutes(1) };

    public RateLimitRule LoginPerEmail { get; set; } = new() { PermitLimit = 10, Window = TimeSpan.FromMinutes(1) };

    public RateLimitRule SignUp { get; set; } = new() { PermitLimit = 10, Window = TimeSpan.FromMinutes(10) };

    public RateLimitRule IssueCoupon { get; set; } = new() { PermitLimit = 30, Window = TimeSpan.FromMinutes(1) };

    public RateLimitRule ChargePoints { get; set; } = new() { PermitLimit = 10, Window = TimeSpan.FromMinutes(1) };

    internal bool IsValid => new[] { Login, LoginPerEmail, SignUp, IssueCoupon, ChargePoints }.All(r => r.PermitLimit > 0 && r.Window > TimeSpan.Zero);
}

/// <summary>At most <see cref="PermitLimit"/> requests per <see cref="Window"/>; the rest are refused at once (no queue).</summary>
public sealed class RateLimitRule
{
    public int PermitLimit { get; set; }

    public TimeSpan Window { get; set; }

    public FixedWindowRateLimiterOptions ToLimiterOptions() => new()
    {
        PermitLimit = PermitLimit,
        Window = Window,
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    /// <summary>What a refused caller is told to wait: the limiter's own figure (else the whole window), plus one tick of
    /// the timer that replenishes partitioned limiters (every 100 ms), so a client that waits exactly that long finds
    /// the new window open rather than arriving a moment before it.</summary>
    public static TimeSpan RetryAfter(RateLimitLease lease, TimeSpan window) =>
        (lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : window) + ReplenishmentTick;

    private static readonly TimeSpan ReplenishmentTick = TimeSpan.FromMilliseconds(100);
}

using System.Threading.RateLimiting;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Security;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Members.Features.Login;

/// <summary>
/// Login attempts per email across every client address (<c>Commerce:RateLimits:LoginPerEmail</c>), in memory per
/// instance. The Host's login policy limits each address; this caps guessing one account's password from many
/// addresses at once. It only ever delays a caller until the window ends: it keeps nothing beyond it.
/// </summary>
internal sealed class LoginEmailLimiter : IDisposable
{
    private readonly IOptions<RateLimitOptions> _options;
    private readonly PartitionedRateLimiter<string> _limiter;

    public LoginEmailLimiter(IOptions<RateLimitOptions> options)
    {
        _options = options;
        _limiter = PartitionedRateLimiter.Create<string, string>(email =>
            RateLimitPartition.GetFixedWindowLimiter(email, _ => options.Value.LoginPerEmail.ToLimiterOptions()));
    }

    /// <summary>Takes one attempt for <paramref name="email"/>, or throws 429 RATE_LIMITED with the wait.</summary>
    public void Acquire(string email)
    {
        var settings = _options.Value;
        var key = email.Trim().ToLowerInvariant();
        // An empty or overlong email is refused by validation; it must not become a partition.
        if (!settings.Enabled || key.Length is 0 or > 254)
        {
            return;
        }

        using var lease = _limiter.AttemptAcquire(key);
        if (!lease.IsAcquired)
        {
            throw AppException.TooManyRequests(ErrorCodes.RateLimited, "Too many login attempts for this email; try again later.",
                RateLimitRule.RetryAfter(lease, settings.LoginPerEmail.Window));
        }
    }

    public void Dispose() => _limiter.Dispose();
}

using System.Threading.RateLimiting;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Security;
using Commerce.Host.Errors;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Commerce.Host.RateLimiting;

/// <summary>
/// The framework's rate limiter with the policies of <see cref="RateLimitPolicies"/>, set under <c>Commerce:RateLimits</c>.
/// Anonymous endpoints are limited per client address; member endpoints per member, since the limiter runs after
/// authorization (an unauthenticated request is refused before it can spend anyone's permits). A refusal is 429
/// problem details with code RATE_LIMITED and a Retry-After header.
/// </summary>
internal static class CommerceRateLimits
{
    public static IServiceCollection AddCommerceRateLimits(this IServiceCollection services) =>
        services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = WriteProblemAsync;
            options.AddPolicy(RateLimitPolicies.Login, context => Partition(context, o => o.Login, ClientAddress(context)));
            options.AddPolicy(RateLimitPolicies.SignUp, context => Partition(context, o => o.SignUp, ClientAddress(context)));
            options.AddPolicy(RateLimitPolicies.IssueCoupon, context => Partition(context, o => o.IssueCoupon, Member(context)));
            options.AddPolicy(RateLimitPolicies.ChargePoints, context => Partition(context, o => o.ChargePoints, Member(context)));
        });

    private static RateLimitPartition<string> Partition(HttpContext context, Func<RateLimitOptions, RateLimitRule> rule, string key)
    {
        var settings = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        return settings.Enabled
            ? RateLimitPartition.GetFixedWindowLimiter(key, _ => rule(settings).ToLimiterOptions())
            : RateLimitPartition.GetNoLimiter("off");
    }

    private static string ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static string Member(HttpContext context) =>
        context.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value is { } id ? $"member:{id}" : ClientAddress(context);

    private static async ValueTask WriteProblemAsync(OnRejectedContext rejected, CancellationToken ct)
    {
        var context = rejected.HttpContext;
        var wait = RateLimitRule.RetryAfter(rejected.Lease, TimeSpan.FromMinutes(1));
        var seconds = AppException.RetryAfterSeconds(wait);
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = ProblemMapper.Problem(429, ErrorCodes.RateLimited, $"Too many requests; try again in {seconds} seconds."),
        });
    }
}

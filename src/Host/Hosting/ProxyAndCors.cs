using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Commerce.Host.Hosting;

/// <summary>
/// Behind a reverse proxy: <c>X-Forwarded-For</c>/<c>-Proto</c> are read only from <c>Commerce:Http:TrustedProxies</c>
/// (addresses) and <c>Commerce:Http:TrustedNetworks</c> (CIDR), none by default, so the per-address rate limits and the
/// login lockout see the real client and nobody else can choose the address they are counted under. For browsers: a CORS
/// policy for <c>Commerce:Http:Cors:AllowedOrigins</c>, none by default.
/// </summary>
internal static class ProxyAndCors
{
    public static IServiceCollection AddCommerceProxyAndCors(this IServiceCollection services, IConfiguration configuration)
    {
        var proxies = Parse(configuration, "Commerce:Http:TrustedProxies", IPAddress.Parse);
        var networks = Parse(configuration, "Commerce:Http:TrustedNetworks", System.Net.IPNetwork.Parse);
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // The framework trusts loopback by default; here only what is configured is trusted.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            proxies.ForEach(options.KnownProxies.Add);
            networks.ForEach(options.KnownIPNetworks.Add);
            // Walk back through every trusted hop (proxy → load balancer → …); the first untrusted one is the client.
            options.ForwardLimit = null;
        });

        var origins = Addresses(configuration, "Commerce:Http:Cors:AllowedOrigins").ToArray();
        services.AddCors(options => options.AddDefaultPolicy(policy => policy
            .WithOrigins(origins)
            .WithMethods("GET", "POST", "PUT", "PATCH", "DELETE")
            // Bearer tokens, not cookies: no credentials mode.
            .WithHeaders("Authorization", "Content-Type", "Idempotency-Key")
            .WithExposedHeaders("Retry-After", "Location")
            .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
        return services;
    }

    public static WebApplication UseCommerceProxyAndCors(this WebApplication app)
    {
        var configuration = app.Configuration;
        if (Addresses(configuration, "Commerce:Http:TrustedProxies").Any() || Addresses(configuration, "Commerce:Http:TrustedNetworks").Any())
        {
            app.UseForwardedHeaders();
        }

        if (Addresses(configuration, "Commerce:Http:Cors:AllowedOrigins").Any())
        {
            app.UseCors();
        }

        return app;
    }

    private static List<T> Parse<T>(IConfiguration configuration, string key, Func<string, T> parse) =>
        Addresses(configuration, key).Select(value =>
        {
            try
            {
                return parse(value);
            }
            catch (FormatException)
            {
                throw new InvalidOperationException($"{key}: '{value}' is not an IP address (TrustedProxies) or a CIDR network (TrustedNetworks).");
            }
        }).ToList();

    /// <summary>A list setting: array entries (<c>…__0</c>, <c>…__1</c>) or one comma-separated value.</summary>
    private static IEnumerable<string> Addresses(IConfiguration configuration, string key)
    {
        var section = configuration.GetSection(key);
        var values = section.GetChildren().Select(c => c.Value).Append(section.Value);
        return values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct();
    }
}

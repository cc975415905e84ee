using System.Collections.Concurrent;
using Commerce.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Host.Tests.Security;

/// <summary>
/// The host, noting which hostile requests reached the application at all: Kestrel refuses some at the protocol level
/// (a NUL in the path, say) with a bare 400 before any application code runs, and those cannot carry problem details.
/// </summary>
public sealed class HostileInputApp : CommerceApp
{
    public const string RequestIdHeader = "X-Hostile-Request";

    private readonly ConcurrentDictionary<string, bool> _seen = new();

    public bool Saw(int requestId) => _seen.ContainsKey(requestId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddTransient<IStartupFilter>(_ => new SeenRequests(_seen)));
    }

    private sealed class SeenRequests(ConcurrentDictionary<string, bool> seen) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                if (context.Request.Headers[RequestIdHeader] is [{ } id])
                {
                    seen[id] = true;
                }

                return following(context);
            });
            next(app);
        };
    }
}

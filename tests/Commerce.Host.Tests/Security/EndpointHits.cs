using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Host.Tests.Security;

/// <summary>
/// Counts the requests routing matched to each endpoint, from the host's own diagnostic event: proof that a request
/// reached the endpoint, not merely that one was sent to its URL.
/// </summary>
internal sealed class EndpointHits : IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private const string EndpointMatched = "Microsoft.AspNetCore.Routing.EndpointMatched";
    private readonly ConcurrentDictionary<string, int> _hits = new();
    private readonly IDisposable _subscription;

    public EndpointHits(IServiceProvider services) =>
        _subscription = services.GetRequiredService<DiagnosticListener>().Subscribe(this, name => name == EndpointMatched);

    public int this[string key] => _hits.GetValueOrDefault(key);

    public void OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Value is HttpContext { } context && context.GetEndpoint() is RouteEndpoint endpoint)
        {
            _hits.AddOrUpdate(ApiSurface.KeyOf(endpoint), 1, (_, count) => count + 1);
        }
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    public void Dispose() => _subscription.Dispose();
}

using System.Collections.Concurrent;
using System.Diagnostics;
using Commerce.Testing;
using Xunit.Abstractions;

namespace Commerce.Host.Tests.Security;

/// <summary>
/// At least 5,000 generated bad requests across every endpoint the host maps (read from its EndpointDataSource, so a
/// new endpoint is covered without being listed): never a 5xx, every error RFC 9457 problem details with a code, and no
/// error body carries SQL, stack traces, type or namespace names, or connection details.
/// </summary>
[StartFirst]
public sealed class HostileInputTests(HostileInputApp app, ITestOutputHelper output) : IClassFixture<HostileInputApp>
{
    private const int Seed = 20_261_121;
    private const int AtLeast = 5_000;

    /// <summary>Each endpoint must see this many of its requests routed to it (the others aim at a wrong method or route on purpose).</summary>
    private const int MinimumRoutedPerEndpoint = 60;

    /// <summary>What Kestrel answers, bare, to a request it refuses before the application runs.</summary>
    private static readonly int[] ProtocolRefusals = [400, 414, 431];

    [Fact]
    public async Task Five_thousand_hostile_requests_get_no_5xx_and_only_problem_details_that_leak_nothing()
    {
        var shop = await SeededShop.CreateAsync(app);
        var endpoints = ApiSurface.Of(app.Services);
        var perEndpoint = Math.Max(150, (int)Math.Ceiling(AtLeast * 1.02 / endpoints.Count));
        var requests = new HostileRequestGenerator(shop, (id, role, lifetime) => app.TokenFor(id, role, lifetime), app.Clock.GetUtcNow(), Seed)
            .Generate(endpoints, perEndpoint);
        using var routed = new EndpointHits(app.Services);
        var failures = new ConcurrentQueue<(HostileRequest Request, string Outcome, string Body)>();
        var statuses = new ConcurrentDictionary<int, int>();
        var refusedByKestrel = 0;
        var busy = new ConcurrentDictionary<string, double>();
        using var client = app.Anonymous();
        client.Timeout = TimeSpan.FromSeconds(30);

        var elapsed = Stopwatch.StartNew();
        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (request, ct) =>
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var message = request.ToMessage();
                using var response = await client.SendAsync(message, ct);
                var status = (int)response.StatusCode;
                var body = await response.Content.ReadAsStringAsync(ct);
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
                List<string> violations = status >= 500 ? [$"a {status}"]
                    : status < 400 || request.Method == "HEAD" ? []
                    : !app.Saw(request.Id) && ProtocolRefusals.Contains(status) && body.Length == 0 ? []
                    : [.. ProblemChecks.ErrorViolations(status, response.Content.Headers.ContentType?.MediaType, body, request.Injected)];
                if (!app.Saw(request.Id))
                {
                    Interlocked.Increment(ref refusedByKestrel);
                }

                if (violations.Count > 0)
                {
                    failures.Enqueue((request, $"{status}: {string.Join("; ", violations)}", body));
                }
            }
            catch (HttpRequestException e)
            {
                failures.Enqueue((request, $"no response: {e.Message}", ""));
            }

            busy.AddOrUpdate(request.Endpoint.Key, Stopwatch.GetElapsedTime(started).TotalSeconds, (_, s) => s + Stopwatch.GetElapsedTime(started).TotalSeconds);
        });
        elapsed.Stop();

        output.WriteLine($"{requests.Count} requests to {endpoints.Count} endpoints in {elapsed.Elapsed.TotalSeconds:0.0} s; " +
                         $"statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"))}; " +
                         $"refused by Kestrel before the application: {refusedByKestrel}");
        output.WriteLine("by category: " + string.Join(", ", requests.GroupBy(r => r.Category).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")));
        output.WriteLine("routed (time spent): " + string.Join(", ", endpoints.Select(e => $"{e.Key} {routed[e.Key]} ({busy.GetValueOrDefault(e.Key):0.0} s)")));
        Assert.True(requests.Count >= AtLeast, $"only {requests.Count} requests");
        Assert.True(failures.IsEmpty, $"{failures.Count} of {requests.Count} requests were answered wrongly:\n" + string.Join("\n",
            failures.GroupBy(f => (f.Request.Endpoint.Key, f.Request.Category, f.Outcome)).OrderByDescending(g => g.Count()).Select(g =>
                $"{g.Count()} × {g.Key.Outcome}, e.g. {g.First().Request.Describe()}\n    {HostileRequest.Excerpt(g.First().Body, 400)}")));
        // Every answer also went through the contract check (CommerceApp): documented status, media type and schema.
        output.WriteLine($"checked against the OpenAPI document: {app.Contract.Checked} answers");
        Assert.True(app.Contract.Violations.Count == 0, $"{app.Contract.Violations.Count} answers broke the OpenAPI document:\n" +
            string.Join("\n", app.Contract.Violations.Distinct().Take(40)));
        var missed = endpoints.Where(e => routed[e.Key] < MinimumRoutedPerEndpoint).Select(e => $"{e.Key} ({routed[e.Key]})").ToList();
        Assert.True(missed.Count == 0, $"endpoints that fewer than {MinimumRoutedPerEndpoint} requests reached: {string.Join(", ", missed)}");
    }
}

using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Commerce.Bench;

/// <summary>One HTTP exchange: the status and, for problem details, the stable error code.</summary>
internal readonly record struct Reply(int Status, byte[] Body)
{
    /// <summary>"201", or "409 COUPON_SOLD_OUT" for a problem with a code.</summary>
    public string Outcome => Status < 400 ? Status.ToString() : $"{Status} {Code}".TrimEnd();

    public string? Code
    {
        get
        {
            try
            {
                using var json = JsonDocument.Parse(Body);
                return json.RootElement.TryGetProperty("code", out var code) ? code.GetString() : null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>A thin client over one HttpClient whose connection pool is as large as the load's concurrency.</summary>
internal sealed class Api : IDisposable
{
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");
    private readonly HttpClient _http;

    public Api(Uri baseAddress, int connections)
    {
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            UseCookies = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
        })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public async Task<Reply> SendAsync(HttpMethod method, string path, string? token = null, byte[]? body = null, string? idempotencyKey = null,
        CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = JsonType;
        }

        using var response = await _http.SendAsync(request, ct);
        return new Reply((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(ct));
    }

    public Task<Reply> PostAsync(string path, string? token, object body, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, path, token, JsonSerializer.SerializeToUtf8Bytes(body, JsonSerializerOptions.Web), null, ct);

    public Task<Reply> GetAsync(string path, string? token = null, CancellationToken ct = default) => SendAsync(HttpMethod.Get, path, token, null, null, ct);

    /// <summary>Opens <paramref name="connections"/> keep-alive connections, so connecting is not part of what is measured.</summary>
    public async Task OpenConnectionsAsync(int connections)
    {
        using var barrier = new SemaphoreSlim(0);
        var requests = Enumerable.Range(0, connections).Select(async _ =>
        {
            await barrier.WaitAsync();
            await GetAsync("/health/live");
        }).ToList();
        barrier.Release(connections);
        await Task.WhenAll(requests);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>One operation of a scenario (one or more requests); returns its outcome, e.g. "201" or "409 OUT_OF_STOCK".</summary>
internal delegate Task<string> Operation(int index);

/// <summary>What a load run saw, per operation: when it was meant to start, when it started and ended, and its outcome.</summary>
internal sealed class LoadResult(int count)
{
    public long[] Intended { get; } = new long[count];

    public long[] Started { get; } = new long[count];

    public long[] Ended { get; } = new long[count];

    public string[] Outcomes { get; } = new string[count];

    public int Count => Outcomes.Length;

    public double Seconds { get; set; }

    public static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    /// <summary>Latency from the intended start (open loop) or the actual start (closed loop, where they are equal).</summary>
    public double[] LatenciesMs(Func<int, bool>? include = null)
    {
        var latencies = new List<double>(Count);
        for (var i = 0; i < Count; i++)
        {
            if (include is null || include(i))
            {
                latencies.Add(ToMs(Ended[i] - Intended[i]));
            }
        }

        latencies.Sort();
        return [.. latencies];
    }

    public Dictionary<string, int> OutcomeCounts() =>
        Outcomes.GroupBy(o => o).OrderByDescending(g => g.Count()).ToDictionary(g => g.Key, g => g.Count());
}

internal static class Load
{
    /// <summary>Closed loop: <paramref name="concurrency"/> clients, each sending its next operation as soon as the previous one answered.</summary>
    public static async Task<LoadResult> ClosedLoopAsync(int count, int concurrency, Operation operation)
    {
        var result = new LoadResult(count);
        var next = -1;
        var start = Stopwatch.GetTimestamp();
        var clients = Enumerable.Range(0, Math.Min(concurrency, count)).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var started = Stopwatch.GetTimestamp() - start;
                result.Intended[i] = result.Started[i] = started;
                result.Outcomes[i] = await RunAsync(operation, i);
                result.Ended[i] = Stopwatch.GetTimestamp() - start;
            }
        })).ToList();
        await Task.WhenAll(clients);
        result.Seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return result;
    }

    /// <summary>
    /// Closed loop for a while: <paramref name="concurrency"/> clients start operations until <paramref name="duration"/>
    /// has passed (or <paramref name="maxCount"/> were started: the data the scenario seeded for it), and every started
    /// one runs to its end. The operations taken are 0..n-1, so a scenario maps each index to its data as before.
    /// </summary>
    public static async Task<LoadResult> ClosedLoopForAsync(TimeSpan duration, int concurrency, int maxCount, Operation operation)
    {
        var next = -1;
        var start = Stopwatch.GetTimestamp();
        var stopAt = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var clients = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var done = new List<(int Index, long Started, long Ended, string Outcome)>();
            int i;
            while (Stopwatch.GetTimestamp() < stopAt && (i = Interlocked.Increment(ref next)) < maxCount)
            {
                var started = Stopwatch.GetTimestamp() - start;
                var outcome = await RunAsync(operation, i);
                done.Add((i, started, Stopwatch.GetTimestamp() - start, outcome));
            }

            return done;
        })).ToList();
        var operations = (await Task.WhenAll(clients)).SelectMany(d => d).ToList();
        var result = new LoadResult(operations.Count) { Seconds = Stopwatch.GetElapsedTime(start).TotalSeconds };
        foreach (var (index, started, ended, outcome) in operations)
        {
            result.Intended[index] = result.Started[index] = started;
            result.Ended[index] = ended;
            result.Outcomes[index] = outcome;
        }

        return result;
    }

    /// <summary>
    /// Open loop: operations are due at a fixed rate whatever the answers, and latency counts from the moment an
    /// operation was due, so a stall shows in the tail instead of quietly slowing the load down. The dispatcher starts
    /// whatever is due, then sleeps a millisecond: one that spun between arrivals took a third of a core (at 560
    /// charges/s) to a whole one (at 5,000 reads/s) from the two the host and PostgreSQL share. The sleep's lag is
    /// counted, as latency starts at the due time.
    /// </summary>
    public static async Task<LoadResult> OpenLoopAsync(double perSecond, TimeSpan duration, Operation operation)
    {
        var count = (int)(perSecond * duration.TotalSeconds);
        var result = new LoadResult(count);
        var running = new List<Task>(count);
        var interval = Stopwatch.Frequency / perSecond;
        var start = Stopwatch.GetTimestamp();
        var i = 0;
        while (i < count)
        {
            var now = Stopwatch.GetTimestamp() - start;
            for (; i < count && (long)(i * interval) <= now; i++)
            {
                var index = i;
                result.Intended[index] = (long)(index * interval);
                running.Add(Task.Run(async () =>
                {
                    result.Started[index] = Stopwatch.GetTimestamp() - start;
                    result.Outcomes[index] = await RunAsync(operation, index);
                    result.Ended[index] = Stopwatch.GetTimestamp() - start;
                }));
            }

            if (i < count)
            {
                await Task.Delay(1);
            }
        }

        await Task.WhenAll(running);
        result.Seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return result;
    }

    private static async Task<string> RunAsync(Operation operation, int index)
    {
        try
        {
            return await operation(index);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return $"transport: {e.GetType().Name}";
        }
    }
}

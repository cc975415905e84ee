using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Commerce.Testing;

/// <summary>An event as the fake platform received it (the relay's envelope).</summary>
public sealed record PlatformEvent(Guid EventId, string Type, int Version, DateTimeOffset OccurredAt, string StreamId, long Sequence, JsonElement Payload);

/// <summary>
/// One request to the fake platform, recorded when it was answered (or given up on). <see cref="Timestamp"/> is a
/// <see cref="Stopwatch"/> timestamp, comparable with the test's own.
/// </summary>
public sealed record PlatformRequest(int Number, PlatformEvent Event, string? IdempotencyKey, string? ContentType, int Status, long Timestamp)
{
    /// <summary>No answer: the caller gave up (timeout, cancellation) or the connection was dropped.</summary>
    public const int NoAnswer = 0;

    public bool Acknowledged => Status is >= 200 and < 300;
}

/// <summary>
/// A stand-in for the external data platform: a real HTTP server (Kestrel) on a loopback port that records every
/// request and can be told to misbehave: 500 on a share of the calls, hang, be down, be slow, or answer a chosen
/// status for chosen events. Every setting can change while requests are in flight.
/// </summary>
public sealed class FakeDataPlatform : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _lock = new();
    private readonly List<PlatformRequest> _requests = [];
    private readonly HashSet<Guid> _inFlight = [];
    private readonly Random _random = new(20_240_601);
    private TaskCompletionSource _unhang = NewGate();
    private bool _hang;

    private FakeDataPlatform(WebApplication app)
    {
        _app = app;
        app.MapPost("/events", HandleAsync);
    }

    /// <summary>The URL to configure as <c>Commerce:DataPlatform:Url</c>.</summary>
    public string Url { get; private set; } = "";

    /// <summary>The share of calls answered 500 (0..1).</summary>
    public double ServerErrorRate { get; set; }

    /// <summary>The share of calls never answered: the caller times out (0..1).</summary>
    public double HangRate { get; set; }

    /// <summary>Every answer waits this long first.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Every connection is dropped without an answer, as a platform that is down.</summary>
    public bool Down { get; set; }

    /// <summary>A fixed status for the events it returns one for (e.g. 400 for a poison event); null lets the rest decide.</summary>
    public Func<PlatformEvent, int?>? Answer { get; set; }

    /// <summary>
    /// Every call is held without an answer. Setting it back to false releases the held calls whose caller is still
    /// waiting: they are then answered as any other call.
    /// </summary>
    public bool Hang
    {
        get
        {
            lock (_lock)
            {
                return _hang;
            }
        }
        set
        {
            lock (_lock)
            {
                _hang = value;
                if (!value)
                {
                    _unhang.TrySetResult();
                    _unhang = NewGate();
                }
            }
        }
    }

    /// <summary>Requests for an event that arrived while another request for the same event was still in flight.</summary>
    public int ConcurrentDuplicates { get; private set; }

    public IReadOnlyList<PlatformRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Requests that arrived, including those still held without an answer.</summary>
    public int Arrived { get; private set; }

    public static async Task<FakeDataPlatform> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        var platform = new FakeDataPlatform(builder.Build());
        await platform._app.StartAsync();
        var address = platform._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        platform.Url = $"{address}/events";
        return platform;
    }

    /// <summary>Back to a healthy platform (the record of requests stays).</summary>
    public void Heal()
    {
        ServerErrorRate = 0;
        HangRate = 0;
        Latency = TimeSpan.Zero;
        Down = false;
        Answer = null;
        Hang = false;
    }

    /// <summary>Waits until <paramref name="condition"/> holds for the requests so far.</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyList<PlatformRequest>, bool> condition, TimeSpan timeout, string what)
    {
        var started = Stopwatch.GetTimestamp();
        while (!condition(Requests))
        {
            if (Stopwatch.GetElapsedTime(started) > timeout)
            {
                throw new TimeoutException($"The fake data platform did not see {what} within {timeout} ({Requests.Count} requests so far).");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Hang = false;
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var aborted = context.RequestAborted;
        if (Down)
        {
            context.Abort();
            return;
        }

        var body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body, cancellationToken: aborted);
        var received = new PlatformEvent(
            body.GetProperty("eventId").GetGuid(), body.GetProperty("type").GetString()!, body.GetProperty("version").GetInt32(),
            body.GetProperty("occurredAt").GetDateTimeOffset(), body.GetProperty("streamId").GetString()!, body.GetProperty("sequence").GetInt64(),
            body.GetProperty("payload").Clone());
        var key = context.Request.Headers["Idempotency-Key"].FirstOrDefault();
        Task? held;
        bool hangs;
        lock (_lock)
        {
            Arrived++;
            if (!_inFlight.Add(received.EventId))
            {
                ConcurrentDuplicates++;
            }

            held = _hang ? _unhang.Task : null;
            hangs = _random.NextDouble() < HangRate;
        }

        var recorded = false;
        try
        {
            if (held is not null)
            {
                await held.WaitAsync(aborted);
            }

            if (hangs)
            {
                await Task.Delay(Timeout.Infinite, aborted);
            }

            if (Latency > TimeSpan.Zero)
            {
                await Task.Delay(Latency, aborted);
            }

            int status;
            lock (_lock)
            {
                status = Answer?.Invoke(received) ?? (_random.NextDouble() < ServerErrorRate ? 500 : 200);
                Record(received, key, context.Request.ContentType, status);
                recorded = true;
            }

            context.Response.StatusCode = status;
            if (status >= 400)
            {
                await context.Response.WriteAsync($"fake platform says {status}", aborted);
            }
        }
        catch (OperationCanceledException) when (!recorded)
        {
            lock (_lock)
            {
                Record(received, key, context.Request.ContentType, PlatformRequest.NoAnswer);
            }
        }
    }

    // Under _lock: the record's order is the order answers were decided in.
    private void Record(PlatformEvent received, string? key, string? contentType, int status)
    {
        _inFlight.Remove(received.EventId);
        _requests.Add(new PlatformRequest(_requests.Count + 1, received, key, contentType, status, Stopwatch.GetTimestamp()));
    }

    private static TaskCompletionSource NewGate() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Commerce.Testing;

/// <summary>
/// A payment gateway on a real loopback HTTP port, speaking the protocol of the HTTP adapter, that the tests
/// tell how to behave. It keeps its own record of what it charged, like a real PG, so tests can check that
/// the gateway's records and the orders agree.
/// </summary>
public sealed class FakePaymentGateway : IAsyncDisposable
{
    public enum Mode
    {
        Approve,
        Decline,
        ServerError,

        /// <summary>Charges, then answers only after the client gave up (a timeout after charging).</summary>
        TimeoutAfterCharge,

        /// <summary>Approves, slowly (<see cref="Delay"/>); a client that gives up first aborts it (nothing charged).</summary>
        Slow,

        /// <summary>
        /// Like a real PG that keeps processing after the client hung up: charges after <see cref="Delay"/> whether
        /// or not anyone still waits for the answer (a late approve after our timeout).
        /// </summary>
        LateApprove,
    }

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<Guid, string> _charges = new();
    private readonly ConcurrentDictionary<Guid, byte> _inFlight = new();
    private readonly ConcurrentDictionary<Guid, Guid> _refunds = new();

    private FakePaymentGateway(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public Mode Behaviour { get; set; } = Mode.Approve;

    public TimeSpan Delay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// While set, every status check is answered with this status and no body (e.g. 401 after a credential
    /// rotation the gateway made and we did not follow yet).
    /// </summary>
    public int? StatusCheckAnswer { get; set; }

    /// <summary>The status code a decline comes with (200 by default; real gateways also use 402 or 422).</summary>
    public int DeclineStatus { get; set; } = 200;

    /// <summary>While set, every new approve is answered with this status and a body that is not a decline (nothing charged).</summary>
    public int? ApproveAnswer { get; set; }

    private int _statusCalls;
    private int _conflicts;

    public int StatusCalls => _statusCalls;

    /// <summary>409 answers to an approve sent again while the first was still being processed.</summary>
    public int Conflicts => _conflicts;

    /// <summary>APPROVED or DECLINED by payment id: what the gateway believes happened.</summary>
    public IReadOnlyDictionary<Guid, string> Charges => _charges;

    /// <summary>Refund calls answer 500 without refunding while set (an unknown outcome for the caller).</summary>
    public bool RefundsFail { get; set; }

    /// <summary>Refunded payment ids by refund id: what the gateway believes it gave back.</summary>
    public IReadOnlyDictionary<Guid, Guid> Refunds => _refunds;

    private int _approveCalls;

    public int ApproveCalls => _approveCalls;

    public static async Task<FakePaymentGateway> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var gateway = new FakePaymentGateway(app);
        app.MapPost("/payments", (Delegate)gateway.ApproveAsync);
        app.MapGet("/payments/{paymentId:guid}", (Guid paymentId) =>
        {
            Interlocked.Increment(ref gateway._statusCalls);
            return gateway.StatusCheckAnswer is { } answer ? Results.StatusCode(answer)
                : gateway._charges.TryGetValue(paymentId, out var status) ? Results.Json(new { status, reference = $"fake-{paymentId:N}" })
                : Results.NotFound();
        });
        app.MapPost("/refunds", (Delegate)gateway.RefundAsync);
        app.MapGet("/refunds/{refundId:guid}", (Guid refundId) =>
            gateway._refunds.ContainsKey(refundId) ? Results.Json(new { status = "REFUNDED" }) : Results.NotFound());
        await app.StartAsync();
        gateway.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return gateway;
    }

    private async Task<IResult> ApproveAsync(HttpContext context)
    {
        Interlocked.Increment(ref _approveCalls);
        var body = (await JsonNode.ParseAsync(context.Request.Body))!;
        var paymentId = body["paymentId"]!.GetValue<Guid>();
        if (context.Request.Headers["Idempotency-Key"] != paymentId.ToString())
        {
            return Results.BadRequest(new { status = "DECLINED", reason = "Idempotency-Key must be the payment id." });
        }

        // Idempotent, like a real PG: a payment already decided keeps its outcome.
        if (_charges.TryGetValue(paymentId, out var decided))
        {
            return Results.Json(new { status = decided, reference = $"fake-{paymentId:N}", reason = decided == "DECLINED" ? "Declined by the fake gateway." : null });
        }

        if (ApproveAnswer is { } refusal)
        {
            return Results.Json(new { error = "REFUSED", reason = $"fake gateway says {refusal}" }, statusCode: refusal);
        }

        // A duplicate of an approve still being processed: real gateways answer 409 (the outcome is not known yet).
        if (!_inFlight.TryAdd(paymentId, 0))
        {
            Interlocked.Increment(ref _conflicts);
            return Results.Json(new { error = "DUPLICATE_REQUEST_IN_PROGRESS" }, statusCode: 409);
        }

        try
        {
            return await DecideAsync(context, paymentId);
        }
        finally
        {
            _inFlight.TryRemove(paymentId, out _);
        }
    }

    private async Task<IResult> DecideAsync(HttpContext context, Guid paymentId)
    {
        switch (Behaviour)
        {
            case Mode.ServerError:
                return Results.StatusCode(500);
            case Mode.Decline:
                _charges[paymentId] = "DECLINED";
                return Results.Json(new { status = "DECLINED", reason = "Declined by the fake gateway." }, statusCode: DeclineStatus);
            case Mode.TimeoutAfterCharge:
                _charges[paymentId] = "APPROVED";
                await Task.Delay(Delay, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return Results.Json(new { status = "APPROVED", reference = $"fake-{paymentId:N}" });
            case Mode.Slow:
                await Task.Delay(Delay, context.RequestAborted);
                break;
            case Mode.LateApprove:
                await Task.Delay(Delay, CancellationToken.None);
                break;
        }

        _charges[paymentId] = "APPROVED";
        return Results.Json(new { status = "APPROVED", reference = $"fake-{paymentId:N}" });
    }

    private async Task<IResult> RefundAsync(HttpContext context)
    {
        var body = (await JsonNode.ParseAsync(context.Request.Body))!;
        var refundId = body["refundId"]!.GetValue<Guid>();
        var paymentId = body["paymentId"]!.GetValue<Guid>();
        if (context.Request.Headers["Idempotency-Key"] != refundId.ToString())
        {
            return Results.BadRequest(new { status = "DECLINED", reason = "Idempotency-Key must be the refund id." });
        }

        if (RefundsFail)
        {
            return Results.StatusCode(500);
        }

        // Only a charged payment can be given back, and only once whatever the refund id.
        if (!_charges.TryGetValue(paymentId, out var charged) || charged != "APPROVED" || (_refunds.Values.Contains(paymentId) && !_refunds.ContainsKey(refundId)))
        {
            return Results.Json(new { status = "DECLINED", reason = "Nothing to refund." });
        }

        _refunds[refundId] = paymentId;
        return Results.Json(new { status = "REFUNDED", reference = $"fake-refund-{refundId:N}" });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

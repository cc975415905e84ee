using Commerce.Modules.Orders.Payments;
using Commerce.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Commerce.Modules.Orders.Tests;

/// <summary>The HTTP adapter against a real HTTP server on loopback playing the gateway.</summary>
public sealed class HttpPaymentGatewayTests : IAsyncLifetime, IDisposable
{
    private FakePaymentGateway _fake = null!;
    private HttpPaymentGateway _gateway = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _fake = await FakePaymentGateway.StartAsync();
        _http = new HttpClient { BaseAddress = _fake.Url, Timeout = TimeSpan.FromSeconds(2) };
        _gateway = new HttpPaymentGateway(_http, NullLogger<HttpPaymentGateway>.Instance);
    }

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    public void Dispose() => _http.Dispose();

    private static GatewayPayment Payment(long amount = 10_000) => new(Guid.CreateVersion7(), 1, 2, amount);

    [Fact]
    public async Task An_approval_is_approved_with_a_reference_and_recorded_once_however_often_it_is_sent()
    {
        var payment = Payment();

        var first = await _gateway.ApproveAsync(payment, CancellationToken.None);
        var again = await _gateway.ApproveAsync(payment, CancellationToken.None);

        Assert.Equal(GatewayOutcome.Approved, first.Outcome);
        Assert.Equal($"fake-{payment.PaymentId:N}", first.Reference);
        Assert.Equal(first, again);
        Assert.Equal("APPROVED", Assert.Single(_fake.Charges).Value);
        Assert.Equal(GatewayOutcome.Approved, (await _gateway.GetStatusAsync(payment.PaymentId, CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task A_decline_carries_the_gateway_reason()
    {
        _fake.Behaviour = FakePaymentGateway.Mode.Decline;

        var answer = await _gateway.ApproveAsync(Payment(), CancellationToken.None);

        Assert.Equal((GatewayOutcome.Declined, "Declined by the fake gateway."), (answer.Outcome, answer.Reason));
    }

    [Fact]
    public async Task A_500_is_an_unknown_outcome_and_charges_nothing()
    {
        _fake.Behaviour = FakePaymentGateway.Mode.ServerError;
        var payment = Payment();

        var answer = await _gateway.ApproveAsync(payment, CancellationToken.None);

        Assert.Equal(GatewayOutcome.Unknown, answer.Outcome);
        Assert.Equal(GatewayOutcome.NotFound, (await _gateway.GetStatusAsync(payment.PaymentId, CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task A_timeout_after_charging_is_unknown_and_the_status_check_then_says_approved()
    {
        _fake.Behaviour = FakePaymentGateway.Mode.TimeoutAfterCharge;
        _fake.Delay = TimeSpan.FromSeconds(6);
        var payment = Payment();

        var answer = await _gateway.ApproveAsync(payment, CancellationToken.None);

        Assert.Equal(GatewayOutcome.Unknown, answer.Outcome);
        Assert.Equal(GatewayOutcome.Approved, (await _gateway.GetStatusAsync(payment.PaymentId, CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task A_slow_answer_within_the_timeout_is_still_an_approval()
    {
        _fake.Behaviour = FakePaymentGateway.Mode.Slow;
        _fake.Delay = TimeSpan.FromMilliseconds(200);

        var answer = await _gateway.ApproveAsync(Payment(), CancellationToken.None);

        Assert.Equal(GatewayOutcome.Approved, answer.Outcome);
    }

    [Fact]
    public async Task An_unreachable_gateway_is_an_unknown_outcome()
    {
        await _fake.DisposeAsync();

        var answer = await _gateway.ApproveAsync(Payment(), CancellationToken.None);

        Assert.Equal(GatewayOutcome.Unknown, answer.Outcome);
        _fake = await FakePaymentGateway.StartAsync();
    }
}

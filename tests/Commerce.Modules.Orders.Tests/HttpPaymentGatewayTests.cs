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
        // 5 s: under a loaded CI machine a 2-s timeout cut off a fresh fake's first answer (a 403 read as "did not answer
        // in time"); the hanging mode below still hangs longer (6 s).
        _http = new HttpClient { BaseAddress = _fake.Url, Timeout = TimeSpan.FromSeconds(5) };
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

    [Fact]
    public async Task A_409_to_a_duplicate_approve_while_the_first_is_in_flight_is_unknown_and_the_first_still_approves()
    {
        _fake.Behaviour = FakePaymentGateway.Mode.LateApprove;
        _fake.Delay = TimeSpan.FromMilliseconds(800);
        var payment = Payment();

        var first = _gateway.ApproveAsync(payment, CancellationToken.None);
        await Eventually.TrueAsync(() => Task.FromResult(_fake.ApproveCalls == 1), TimeSpan.FromSeconds(5), "the first approve reaches the gateway");
        var duplicate = await _gateway.ApproveAsync(payment, CancellationToken.None);

        Assert.Equal((GatewayOutcome.Unknown, 1), (duplicate.Outcome, _fake.Conflicts));
        Assert.Equal(GatewayOutcome.Approved, (await first).Outcome);
        Assert.Equal(GatewayOutcome.Approved, (await _gateway.GetStatusAsync(payment.PaymentId, CancellationToken.None)).Outcome);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(422)]
    public async Task Any_answer_to_an_approve_without_a_DECLINED_body_is_unknown_never_a_decline(int status)
    {
        _fake.ApproveAnswer = status;

        var answer = await _gateway.ApproveAsync(Payment(), CancellationToken.None);

        Assert.Equal(GatewayOutcome.Unknown, answer.Outcome);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), answer.Reason);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(402)]
    [InlineData(422)]
    public async Task A_DECLINED_body_is_a_decline_whatever_status_carries_it(int status)
    {
        _fake.Behaviour = FakePaymentGateway.Mode.Decline;
        _fake.DeclineStatus = status;

        var answer = await _gateway.ApproveAsync(Payment(), CancellationToken.None);

        Assert.Equal((GatewayOutcome.Declined, "Declined by the fake gateway."), (answer.Outcome, answer.Reason));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(409)]
    [InlineData(500)]
    public async Task A_status_check_answered_without_a_record_is_unknown_never_a_decline_and_only_404_means_never_heard_of(int status)
    {
        var payment = Payment();
        await _gateway.ApproveAsync(payment, CancellationToken.None);
        _fake.StatusCheckAnswer = status;

        var answer = await _gateway.GetStatusAsync(payment.PaymentId, CancellationToken.None);
        _fake.StatusCheckAnswer = 404;
        var notFound = await _gateway.GetStatusAsync(payment.PaymentId, CancellationToken.None);

        Assert.Equal((GatewayOutcome.Unknown, GatewayOutcome.NotFound), (answer.Outcome, notFound.Outcome));
    }
}

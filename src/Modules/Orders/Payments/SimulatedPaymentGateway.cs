using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Orders.Payments;

/// <summary>
/// The default gateway when no real one is configured: keeps its own record of every payment in memory
/// (so status checks and repeated approvals behave like a real PG), with settings for latency, declines and
/// lost answers. Its records do not survive a restart; use the HTTP adapter for a real gateway.
/// </summary>
public sealed class SimulatedPaymentGateway(IOptionsMonitor<PaymentGatewayOptions> options, TimeProvider clock) : IPaymentGateway
{
    private readonly ConcurrentDictionary<Guid, GatewayAnswer> _records = new();
    private readonly ConcurrentDictionary<Guid, GatewayAnswer> _refunds = new();

    /// <summary>What the gateway charged or declined, by payment id (tests compare it with the orders).</summary>
    public IReadOnlyDictionary<Guid, GatewayAnswer> Records => _records;

    public async Task<GatewayAnswer> ApproveAsync(GatewayPayment payment, CancellationToken ct)
    {
        var settings = options.CurrentValue.Simulated;
        if (settings.Latency > TimeSpan.Zero)
        {
            await Task.Delay(settings.Latency, clock, ct);
        }

        var answer = _records.GetOrAdd(payment.PaymentId, _ =>
            settings.DeclineAboveAmount is { } limit && payment.Amount > limit ? new GatewayAnswer(GatewayOutcome.Declined, Reason: $"Amount above the limit of {limit}.")
            : Random.Shared.NextDouble() < settings.DeclineRate ? new GatewayAnswer(GatewayOutcome.Declined, Reason: "Declined by the issuer.")
            : new GatewayAnswer(GatewayOutcome.Approved, Reference: $"sim-{payment.PaymentId:N}"));

        return Random.Shared.NextDouble() < settings.NoAnswerRate ? GatewayAnswer.Unknown("No answer from the gateway (simulated).") : answer;
    }

    public Task<GatewayAnswer> GetStatusAsync(Guid paymentId, CancellationToken ct) =>
        Task.FromResult(_records.TryGetValue(paymentId, out var answer) ? answer : new GatewayAnswer(GatewayOutcome.NotFound));

    /// <summary>What the gateway refunded, by refund id.</summary>
    public IReadOnlyDictionary<Guid, GatewayAnswer> Refunds => _refunds;

    public async Task<GatewayAnswer> RefundAsync(GatewayRefund refund, CancellationToken ct)
    {
        var settings = options.CurrentValue.Simulated;
        if (settings.Latency > TimeSpan.Zero)
        {
            await Task.Delay(settings.Latency, clock, ct);
        }

        // Only a payment this gateway approved can be given back.
        var answer = _refunds.GetOrAdd(refund.RefundId, _ =>
            _records.TryGetValue(refund.PaymentId, out var payment) && payment.Outcome == GatewayOutcome.Approved
                ? new GatewayAnswer(GatewayOutcome.Approved, Reference: $"sim-refund-{refund.RefundId:N}")
                : new GatewayAnswer(GatewayOutcome.Declined, Reason: "No approved payment to refund."));

        return Random.Shared.NextDouble() < settings.NoAnswerRate ? GatewayAnswer.Unknown("No answer from the gateway (simulated).") : answer;
    }

    public Task<GatewayAnswer> GetRefundStatusAsync(Guid refundId, CancellationToken ct) =>
        Task.FromResult(_refunds.TryGetValue(refundId, out var answer) ? answer : new GatewayAnswer(GatewayOutcome.NotFound));
}

namespace Commerce.Modules.Orders.Payments;

/// <summary>
/// The external payment gateway (PG). The payment id is the gateway's idempotency key: approving the same
/// payment again returns the first outcome instead of charging twice, which is what makes retries and the
/// reconciler safe.
/// </summary>
internal interface IPaymentGateway
{
    Task<GatewayAnswer> ApproveAsync(GatewayPayment payment, CancellationToken ct);

    Task<GatewayAnswer> GetStatusAsync(Guid paymentId, CancellationToken ct);

    /// <summary>
    /// Gives an approved payment back. The refund id is this call's own idempotency key (not the payment's): asking
    /// again returns the first outcome. Approved = refunded; Unknown = ask <see cref="GetRefundStatusAsync"/> later.
    /// </summary>
    Task<GatewayAnswer> RefundAsync(GatewayRefund refund, CancellationToken ct);

    Task<GatewayAnswer> GetRefundStatusAsync(Guid refundId, CancellationToken ct);
}

internal sealed record GatewayRefund(Guid RefundId, Guid PaymentId, long OrderId, long Amount);

internal sealed record GatewayPayment(Guid PaymentId, long OrderId, long MemberId, long Amount);

internal enum GatewayOutcome
{
    Approved,
    Declined,

    /// <summary>The gateway has no record of the payment (the approve never reached it).</summary>
    NotFound,

    /// <summary>No usable answer (timeout, 5xx, connection refused): the payment may or may not have been charged.</summary>
    Unknown,
}

internal sealed record GatewayAnswer(GatewayOutcome Outcome, string? Reference = null, string? Reason = null)
{
    public bool IsFinal => Outcome is GatewayOutcome.Approved or GatewayOutcome.Declined;

    public static GatewayAnswer Unknown(string reason) => new(GatewayOutcome.Unknown, Reason: reason);
}

using Commerce.BuildingBlocks.Outbox;

namespace Commerce.Modules.Orders;

internal static class OrderStatus
{
    public const string PendingPayment = "PENDING_PAYMENT";
    public const string Paying = "PAYING";
    public const string Paid = "PAID";
    public const string PaymentFailed = "PAYMENT_FAILED";
    public const string Cancelled = "CANCELLED";
    public const string Expired = "EXPIRED";
    public const string Refunding = "REFUNDING";
    public const string Refunded = "REFUNDED";

    public static readonly string[] All = [PendingPayment, Paying, Paid, PaymentFailed, Cancelled, Expired, Refunding, Refunded];
}

internal static class OrderFlow
{
    public const string PlaceOrder = "PLACE_ORDER";
    public const string Checkout = "CHECKOUT";
}

internal static class PaymentStatus
{
    public const string Pending = "PENDING";
    public const string Approved = "APPROVED";
    public const string Declined = "DECLINED";
    public const string Rejected = "REJECTED";
}

internal static class PaymentMethod
{
    public const string Gateway = "GATEWAY";
    public const string Points = "POINTS";
}

internal static class OrderErrors
{
    public const string OrderNotFound = "ORDER_NOT_FOUND";
    public const string OrderNotPayable = "ORDER_NOT_PAYABLE";
    public const string OrderNotCancellable = "ORDER_NOT_CANCELLABLE";
    public const string PaymentDeclined = "PAYMENT_DECLINED";
    public const string OrderNotRefundable = "ORDER_NOT_REFUNDABLE";
    public const string RefundWindowClosed = "REFUND_WINDOW_CLOSED";
    public const string RefundDeclined = "REFUND_DECLINED";
}

internal static class RefundStatus
{
    public const string Pending = "PENDING";
    public const string Completed = "COMPLETED";
    public const string Declined = "DECLINED";
}

public sealed record OrderItem(long ProductId, int Quantity);

/// <summary>An order as the API and the data platform see it.</summary>
public sealed record OrderView(
    long Id,
    long MemberId,
    string Status,
    string Flow,
    IReadOnlyList<OrderLineView> Lines,
    long Subtotal,
    long Discount,
    long Total,
    long? OrderCouponId,
    long OrderDiscount,
    IReadOnlyList<long> CouponIds,
    DateTimeOffset? PaymentDeadline,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PaidAt,
    PaymentView? Payment);

public sealed record OrderLineView(long ProductId, string ProductName, int Quantity, long UnitPrice, long Discount, long? CouponId, long Amount);

public sealed record PaymentView(
    Guid Id,
    string Method,
    string Status,
    long Amount,
    string? FailureCode,
    string? FailureReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset? CompletedAt);

/// <summary>Every order state change reaches the data platform with the whole order (lines, amounts, coupons, payment).</summary>
public abstract record OrderEvent(OrderView Order) : IIntegrationEvent
{
    // The stream is the envelope's business (the relay sends it alongside); the payload carries the order itself.
    [System.Text.Json.Serialization.JsonIgnore]
    public string StreamId => $"order-{Order.Id}";
}

public sealed record OrderPlaced(OrderView Order) : OrderEvent(Order);

/// <summary>Points taken, the gateway asked: the outcome follows as OrderPaid or OrderPaymentFailed.</summary>
public sealed record OrderPaying(OrderView Order) : OrderEvent(Order);

public sealed record OrderPaid(OrderView Order) : OrderEvent(Order);

public sealed record OrderPaymentFailed(OrderView Order) : OrderEvent(Order);

public sealed record OrderCancelled(OrderView Order) : OrderEvent(Order);

public sealed record OrderExpired(OrderView Order) : OrderEvent(Order);

/// <summary>A failed, cancelled or expired order's coupons (AVAILABLE again) and stock went back; its status is unchanged.</summary>
public sealed record OrderReleased(OrderView Order) : OrderEvent(Order);
/// <summary>A paid order given back in full: points, coupons and stock returned, the gateway payment refunded.</summary>
public sealed record OrderRefunded(OrderView Order, RefundView Refund) : OrderEvent(Order);

/// <summary>A refund of a paid order; <see cref="Status"/> is PENDING while the gateway's answer is unknown.</summary>
public sealed record RefundView(
    Guid Id,
    Guid PaymentId,
    string Method,
    string Status,
    long Amount,
    long RequestedById,
    string? FailureReason,
    DateTimeOffset CreatedAt,
    DateTimeOffset? CompletedAt);

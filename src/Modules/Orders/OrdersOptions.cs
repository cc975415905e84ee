namespace Commerce.Modules.Orders;

/// <summary><c>Commerce:Orders</c>.</summary>
public sealed class OrdersOptions
{
    public const string Section = "Commerce:Orders";

    /// <summary>How long a placed order waits for payment before the expiry job gives its stock and coupons back.</summary>
    public TimeSpan PaymentDeadline { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan ExpiryInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the reconciler looks for payments whose gateway answer is unknown.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// A payment is left to the request that started it this long before the reconciler asks the gateway. Must be
    /// longer than the gateway timeout (checked at start-up), so the reconciler never asks while the request's own
    /// approve may still be on its way.
    /// </summary>
    public TimeSpan ReconcileAfter { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A payment whose outcome is still unknown this long after it started raises the alert: the
    /// <c>commerce.payments.overdue</c> gauge and <c>/health/ready</c> Degraded.
    /// </summary>
    public TimeSpan UnknownPaymentAlertAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest wait between two status checks of one payment.</summary>
    public TimeSpan ReconcileMaxBackoff { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the sweeper finishes releases a crash interrupted, and how old such an order must be.</summary>
    public TimeSpan ReleaseSweepInterval { get; set; } = TimeSpan.FromSeconds(15);

    public TimeSpan ReleaseSweepAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long after payment a member may ask for a refund of their order (admins may refund any paid order).</summary>
    public TimeSpan RefundWindow { get; set; } = TimeSpan.FromDays(7);
}

namespace Commerce.Modules.Coupons;

/// <summary><c>Commerce:Coupons</c>.</summary>
public sealed class CouponsOptions
{
    public const string Section = "Commerce:Coupons";

    /// <summary>
    /// How long an instance answers COUPON_SOLD_OUT from memory, without asking the database, after it saw a
    /// campaign sold out. A quantity raised through this instance clears it at once; one raised through another
    /// instance is seen here at most this long after it committed. Zero turns the short-circuit off.
    /// </summary>
    public TimeSpan SoldOutMemory { get; set; } = TimeSpan.FromSeconds(1);
}

using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Coupons.Contracts;

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

internal static class CampaignErrors
{
    public const string QuantityBelowIssued = "QUANTITY_BELOW_ISSUED";

    public static AppException NotFound(long campaignId) =>
        AppException.NotFound(CouponErrors.CampaignNotFound, "There is no coupon campaign with this id.").With("campaignId", campaignId);
}

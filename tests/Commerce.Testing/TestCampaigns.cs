using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Coupons.Features.CreateCampaign;

namespace Commerce.Testing;

/// <summary>Campaign commands around a given time, open from an hour before it for a week; tests adjust them with <c>with</c>.</summary>
public static class TestCampaigns
{
    /// <summary>Coupons valid <paramref name="validDays"/> days after issue unless <paramref name="validUntil"/> is given.</summary>
    public static CreateCampaign Of(
        DateTimeOffset now,
        string discountType = CouponTerms.Fixed,
        long value = 1_000,
        string target = CouponTerms.TargetOrder,
        long? productId = null,
        long? maxDiscount = null,
        long? minOrderAmount = null,
        int quantity = 1_000,
        DateTimeOffset? validUntil = null,
        int validDays = 30,
        string? name = null) =>
        new(name ?? $"{discountType} {value} off {target}", discountType, value, target, quantity, now.AddHours(-1), now.AddDays(7),
            maxDiscount, productId, minOrderAmount, validUntil, validUntil is null ? validDays : null);

    /// <summary>A FIXED 1,000 won ORDER campaign of 100 coupons, valid 30 days after issue.</summary>
    public static CreateCampaign Fixed(DateTimeOffset now, long value = 1_000, int quantity = 100, string name = "Welcome coupon") =>
        Of(now, value: value, quantity: quantity, name: name);

    public static CreateCampaign Percent(DateTimeOffset now, long percent = 10, long? cap = 5_000, int quantity = 100) =>
        Of(now, CouponTerms.Percent, percent, maxDiscount: cap, quantity: quantity, validUntil: now.AddDays(30), name: "Ten percent off");

    public static CreateCampaign ForProduct(DateTimeOffset now, long productId, long value = 2_000) =>
        Of(now, value: value, target: CouponTerms.TargetProduct, productId: productId, minOrderAmount: 5_000, quantity: 100, validDays: 7,
            name: "Product coupon");
}

using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Coupons.Features.CreateCampaign;
using Commerce.Testing;
using MediatR;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Modules.Coupons.Tests;

/// <summary>Campaign commands with sensible defaults around a given time.</summary>
internal static class TestCampaigns
{
    /// <summary>A FIXED 1,000 won ORDER campaign of 100 coupons, open from an hour ago for a week, valid 30 days after issue.</summary>
    public static CreateCampaign Fixed(DateTimeOffset now, long value = 1_000, int quantity = 100, string name = "Welcome coupon") =>
        new(name, CouponTerms.Fixed, value, CouponTerms.TargetOrder, quantity, now.AddHours(-1), now.AddDays(7), ValidDays: 30);

    public static CreateCampaign Percent(DateTimeOffset now, long percent = 10, long? cap = 5_000, int quantity = 100) =>
        new("Ten percent off", CouponTerms.Percent, percent, CouponTerms.TargetOrder, quantity, now.AddHours(-1), now.AddDays(7),
            MaxDiscount: cap, ValidUntil: now.AddDays(30));

    public static CreateCampaign ForProduct(DateTimeOffset now, long productId, long value = 2_000) =>
        new("Product coupon", CouponTerms.Fixed, value, CouponTerms.TargetProduct, 100, now.AddHours(-1), now.AddDays(7),
            ProductId: productId, MinOrderAmount: 5_000, ValidDays: 7);
}

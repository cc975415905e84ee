using System.Diagnostics;
using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Coupons.Contracts;

namespace Commerce.Modules.Coupons.Tests;

/// <summary>The discount rules, table-driven: Apply with exactly the given coupons, and ChooseBest over candidates.</summary>
public sealed class DiscountRulesTests
{
    private const long A = 1;
    private const long B = 2;
    private static readonly DateTimeOffset Now = new(2030, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private sealed record ApplyCase(BasketLine[] Lines, IssuedCoupon[] Coupons, long[] LineDiscounts, long OrderDiscount, long? RefusedCouponId = null);

    private static readonly Dictionary<string, ApplyCase> ApplyCases = new()
    {
        ["fixed order coupon takes its value off"] = new([Line(A, 1, 10_000)], [Fixed(1, 3_000)], [0], 3_000),
        ["percent is floored"] = new([Line(A, 1, 12_345)], [Percent(1, 10)], [0], 1_234),
        ["percent is capped by its maximum"] = new([Line(A, 1, 100_000)], [Percent(1, 50, cap: 10_000)], [0], 10_000),
        ["a cap above the percentage changes nothing"] = new([Line(A, 1, 50_000)], [Percent(1, 10, cap: 10_000)], [0], 5_000),
        ["fixed above the order total stops at the total (never negative)"] = new([Line(A, 1, 10_000)], [Fixed(1, 50_000)], [0], 10_000),
        ["hundred percent takes the whole base"] = new([Line(A, 2, 5_000)], [Percent(1, 100)], [0], 10_000),
        ["minimum amount met exactly applies"] = new([Line(A, 1, 10_000)], [Fixed(1, 1_000, min: 10_000)], [0], 1_000),
        ["minimum amount not met is refused"] = new([Line(A, 1, 9_999)], [Fixed(1, 1_000, min: 10_000)], [], 0, RefusedCouponId: 1),
        ["product coupon discounts only its line, unit price times quantity"] =
            new([Line(A, 2, 5_000), Line(B, 1, 3_000)], [Percent(1, 10, product: A)], [1_000, 0], 0),
        ["product coupon for a product not in the basket is refused"] = new([Line(B, 1, 3_000)], [Fixed(1, 500, product: A)], [], 0, RefusedCouponId: 1),
        ["product coupon above its line stops at the line (never negative)"] =
            new([Line(A, 1, 5_000), Line(B, 1, 3_000)], [Fixed(1, 20_000, product: A)], [5_000, 0], 0),
        ["product coupon minimum compares with its line"] =
            new([Line(A, 1, 4_000), Line(B, 1, 10_000)], [Fixed(1, 500, product: A, min: 5_000)], [], 0, RefusedCouponId: 1),
        ["product and order coupons stack, the order coupon on the total after product discounts"] =
            new([Line(A, 1, 10_000), Line(B, 1, 3_000)], [Fixed(1, 2_000, product: A), Percent(2, 10)], [2_000, 0], 1_100),
        ["each line takes its own product coupon"] =
            new([Line(A, 1, 10_000), Line(B, 2, 3_000)], [Fixed(1, 1_000, product: A), Percent(2, 50, product: B)], [1_000, 3_000], 0),
        ["order minimum compares with the total after product discounts"] =
            new([Line(A, 1, 10_000), Line(B, 1, 1_000)], [Fixed(1, 2_000, product: A), Fixed(2, 1_000, min: 10_000)], [], 0, RefusedCouponId: 2),
        ["order coupon on a fully discounted basket takes nothing"] =
            new([Line(A, 1, 1_000)], [Fixed(1, 5_000, product: A), Fixed(2, 1_000)], [1_000], 0),
        ["a second coupon on one line is refused"] =
            new([Line(A, 1, 10_000)], [Fixed(1, 1_000, product: A), Fixed(2, 500, product: A)], [], 0, RefusedCouponId: 2),
        ["a second order coupon is refused"] = new([Line(A, 1, 10_000)], [Fixed(1, 1_000), Percent(2, 5)], [], 0, RefusedCouponId: 2),
        ["a used coupon is refused"] = new([Line(A, 1, 10_000)], [Fixed(1, 1_000, status: CouponTerms.Used)], [], 0, RefusedCouponId: 1),
        ["an expired coupon is refused"] = new([Line(A, 1, 10_000)], [Fixed(1, 1_000, expiresInDays: 0)], [], 0, RefusedCouponId: 1),
        ["a coupon listed twice is refused"] = new([Line(A, 1, 10_000)], [Fixed(1, 1_000), Fixed(1, 1_000)], [], 0, RefusedCouponId: 1),
        ["no coupons, no discount"] = new([Line(A, 3, 1_000)], [], [0], 0),
    };

    public static TheoryData<string> ApplyCaseNames => new(ApplyCases.Keys);

    [Theory]
    [MemberData(nameof(ApplyCaseNames))]
    public void Apply_follows_the_discount_rules(string name)
    {
        var (lines, coupons, lineDiscounts, orderDiscount, refused) = ApplyCases[name];

        if (refused is { } couponId)
        {
            var error = Assert.Throws<AppException>(() => DiscountRules.Apply(lines, coupons, Now));
            Assert.Equal((422, CouponErrors.CouponNotUsable, couponId), (error.Status, error.Code, (long)error.Extensions["couponId"]!));
            Assert.StartsWith($"Coupon {couponId} cannot be used: ", error.Message);
            return;
        }

        var discount = DiscountRules.Apply(lines, coupons, Now);

        Assert.Equal(lineDiscounts, discount.Lines.Select(l => l.Amount));
        Assert.Equal(orderDiscount, discount.OrderDiscount);
        Assert.Equal(lineDiscounts.Sum() + orderDiscount, discount.Total);
        Assert.Equal(coupons.Select(c => c.Id).Order(), discount.AppliedCouponIds);
        Assert.True(discount.Total <= lines.Sum(l => l.Amount));
    }

    private sealed record ChooseCase(BasketLine[] Lines, IssuedCoupon[] Candidates, long[] Chosen, long Total);

    private static readonly Dictionary<string, ChooseCase> ChooseCases = new()
    {
        ["picks the larger of two order coupons"] = new([Line(A, 1, 100_000)], [Fixed(1, 5_000), Percent(2, 10)], [2], 10_000),
        ["a capped percent loses to a larger fixed"] = new([Line(A, 1, 100_000)], [Fixed(1, 8_000), Percent(2, 50, cap: 5_000)], [1], 8_000),
        ["stacks a product coupon and the best order coupon"] =
            new([Line(A, 1, 10_000), Line(B, 1, 5_000)], [Fixed(1, 2_000, product: A), Percent(2, 10), Fixed(3, 1_000)], [1, 2], 3_300),
        ["takes the best coupon for each line"] =
            new([Line(A, 1, 10_000), Line(B, 1, 10_000)], [Fixed(1, 1_000, product: A), Fixed(2, 3_000, product: A), Fixed(3, 2_000, product: B)], [2, 3], 5_000),
        ["gives up a larger product discount that would break the order coupon's minimum"] =
            new([Line(A, 1, 10_000)], [Fixed(1, 3_000, product: A), Fixed(2, 1_000, product: A), Fixed(3, 5_000, min: 8_000)], [2, 3], 6_000),
        ["a tie goes to fewer coupons"] = new([Line(A, 1, 5_000)], [Fixed(1, 1_000, product: A), Fixed(2, 10_000)], [2], 5_000),
        ["a tie goes to the coupon that expires first"] =
            new([Line(A, 1, 10_000)], [Fixed(1, 1_000, expiresInDays: 20), Fixed(2, 1_000, expiresInDays: 5)], [2], 1_000),
        ["used and expired candidates are skipped"] =
            new([Line(A, 1, 10_000)], [Fixed(1, 5_000, status: CouponTerms.Used), Fixed(2, 4_000, expiresInDays: -1), Fixed(3, 1_000)], [3], 1_000),
        ["a coupon that would take nothing off is not used"] = new([Line(A, 1, 50)], [Percent(1, 1)], [], 0),
        ["nothing applicable means no discount"] = new([Line(B, 1, 10_000)], [Fixed(1, 1_000, product: A), Fixed(2, 500, min: 20_000)], [], 0),
    };

    public static TheoryData<string> ChooseCaseNames => new(ChooseCases.Keys);

    [Theory]
    [MemberData(nameof(ChooseCaseNames))]
    public void ChooseBest_finds_the_largest_discount(string name)
    {
        var (lines, candidates, chosen, total) = ChooseCases[name];

        var best = DiscountRules.ChooseBest(lines, candidates, Now);

        Assert.Equal(chosen, best.AppliedCouponIds);
        Assert.Equal(total, best.Total);
        // The choice is a legal combination: applying exactly those coupons gives the same discount.
        var applied = DiscountRules.Apply(lines, candidates.Where(c => chosen.Contains(c.Id)).ToList(), Now);
        Assert.Equal(best.Lines, applied.Lines);
        Assert.Equal((best.OrderDiscount, best.OrderCouponId), (applied.OrderDiscount, applied.OrderCouponId));
    }

    [Fact]
    public void ChooseBest_over_a_huge_candidate_set_stays_bounded_and_legal()
    {
        var lines = Enumerable.Range(1, 12).Select(p => Line(p, 1, 10_000 * p)).ToArray();
        var id = 0;
        var candidates = lines.SelectMany(l => Enumerable.Range(1, 6).Select(k => Fixed(++id, 100 * k, product: l.ProductId)))
            .Concat(Enumerable.Range(1, 10).Select(k => Percent(++id, k, min: 100_000 * k)))
            .ToArray();

        var started = Stopwatch.GetTimestamp();
        var best = DiscountRules.ChooseBest(lines, candidates, Now);

        // Only a runaway (exponential) search would come near this; the real bound is the search's own cap.
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(10));
        // Every line takes its largest coupon (600 won), and the order coupon whose minimum still holds.
        Assert.Equal(Enumerable.Repeat(600L, 12), best.Lines.Select(l => l.Amount));
        var applied = DiscountRules.Apply(lines, candidates.Where(c => best.AppliedCouponIds.Contains(c.Id)).ToList(), Now);
        Assert.Equal(best.Total, applied.Total);
    }

    [Fact]
    public void A_basket_with_the_same_product_twice_is_a_caller_bug()
    {
        Assert.Throws<ArgumentException>(() => DiscountRules.Apply([Line(A, 1, 100), Line(A, 2, 100)], [], Now));
    }

    private static BasketLine Line(long productId, int quantity, long unitPrice) => new(productId, quantity, unitPrice);

    private static IssuedCoupon Fixed(long id, long won, long? product = null, long? min = null, string status = CouponTerms.Available, int expiresInDays = 10) =>
        Coupon(id, CouponTerms.Fixed, won, null, product, min, status, expiresInDays);

    private static IssuedCoupon Percent(long id, long percent, long? cap = null, long? product = null, long? min = null) =>
        Coupon(id, CouponTerms.Percent, percent, cap, product, min, CouponTerms.Available, 10);

    private static IssuedCoupon Coupon(long id, string type, long value, long? cap, long? product, long? min, string status, int expiresInDays) =>
        new(id, 7, 100 + id, $"Coupon {id}", status, type, value, cap, product is null ? CouponTerms.TargetOrder : CouponTerms.TargetProduct,
            product, min, Now.AddDays(-1), Now.AddDays(expiresInDays));
}

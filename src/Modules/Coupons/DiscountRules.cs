using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Coupons.Contracts;

namespace Commerce.Modules.Coupons;

/// <summary>
/// How coupons discount a basket; pure. A PRODUCT coupon applies to its product's line (base: unit price ×
/// quantity), at most one per line. The ORDER coupon, at most one, applies to the total after the product
/// discounts. A coupon's minimum order amount is compared with its own base (the line for PRODUCT, the total
/// after product discounts for ORDER). FIXED takes its value off; PERCENT takes floor(base × p / 100), capped by
/// its maximum; no discount ever exceeds its base, so no amount goes below zero.
/// </summary>
internal static class DiscountRules
{
    /// <summary>
    /// The most combinations <see cref="ChooseBest"/> compares. A member holds one coupon per campaign, so real
    /// baskets stay far below it and the search is exact; past it, the smallest discounts of the longest option
    /// lists are left out first.
    /// </summary>
    public const int MaxCombinations = 50_000;

    public static long AmountOff(IssuedCoupon coupon, long baseAmount)
    {
        if (baseAmount <= 0)
        {
            return 0;
        }

        // Int128: base × percent must not overflow even for absurd amounts.
        var off = coupon.DiscountType == CouponTerms.Percent
            ? (long)((Int128)baseAmount * coupon.DiscountValue / 100)
            : coupon.DiscountValue;
        if (coupon.MaxDiscount is { } cap)
        {
            off = Math.Min(off, cap);
        }

        return Math.Clamp(off, 0, baseAmount);
    }

    public static Discount Apply(IReadOnlyList<BasketLine> lines, IReadOnlyList<IssuedCoupon> coupons, DateTimeOffset now)
    {
        CheckBasket(lines);
        var lineCoupons = new IssuedCoupon?[lines.Count];
        IssuedCoupon? orderCoupon = null;
        var seen = new HashSet<long>();
        foreach (var coupon in coupons)
        {
            if (!seen.Add(coupon.Id))
            {
                throw NotUsable(coupon, "it is listed more than once.");
            }

            if (Unusable(coupon, now) is { } reason)
            {
                throw NotUsable(coupon, reason);
            }

            if (coupon.Target == CouponTerms.TargetProduct)
            {
                var line = IndexOf(lines, coupon.ProductId);
                if (line < 0)
                {
                    throw NotUsable(coupon, $"it is for product {coupon.ProductId}, which is not in the basket.");
                }

                if (lineCoupons[line] is { } other)
                {
                    throw NotUsable(coupon, $"coupon {other.Id} already applies to product {coupon.ProductId}, and a line takes one coupon.");
                }

                if (!MeetsMinimum(coupon, lines[line].Amount))
                {
                    throw NotUsable(coupon, $"it needs a line of at least {coupon.MinOrderAmount} won; product {coupon.ProductId} comes to {lines[line].Amount}.");
                }

                lineCoupons[line] = coupon;
            }
            else
            {
                if (orderCoupon is { } other)
                {
                    throw NotUsable(coupon, $"coupon {other.Id} already applies to the order, and an order takes one order coupon.");
                }

                orderCoupon = coupon;
            }
        }

        // The order coupon's base is only known once every product coupon is placed.
        var discount = Compute(lines, lineCoupons, null);
        var orderBase = lines.Sum(l => l.Amount) - discount.Total;
        if (orderCoupon is not null && !MeetsMinimum(orderCoupon, orderBase))
        {
            throw NotUsable(orderCoupon, $"it needs an order of at least {orderCoupon.MinOrderAmount} won; after product discounts the order comes to {orderBase}.");
        }

        return Compute(lines, lineCoupons, orderCoupon);
    }

    /// <summary>
    /// Tries every combination of the usable candidates (none or one per line, none or one for the order) and keeps
    /// the largest total discount; ties go to fewer coupons, then to the coupons that expire first (so the member
    /// keeps the longer-lived ones), then to the lower ids. A coupon that would take nothing off is never chosen.
    /// </summary>
    public static Discount ChooseBest(IReadOnlyList<BasketLine> lines, IReadOnlyList<IssuedCoupon> candidates, DateTimeOffset now)
    {
        CheckBasket(lines);
        var usable = candidates.Where(c => Unusable(c, now) is null).DistinctBy(c => c.Id).ToList();
        var total = lines.Sum(l => l.Amount);

        // A line's options are its product coupons, one per distinct amount: of equal amounts, the one that wins the tie.
        var lineOptions = lines.Select(line => usable
                .Where(c => c.Target == CouponTerms.TargetProduct && c.ProductId == line.ProductId && MeetsMinimum(c, line.Amount))
                .Select(c => (Coupon: c, Off: AmountOff(c, line.Amount)))
                .Where(o => o.Off > 0)
                .GroupBy(o => o.Off)
                .Select(g => g.OrderBy(o => o.Coupon.ExpiresAt).ThenBy(o => o.Coupon.Id).First())
                .OrderByDescending(o => o.Off)
                .ToList())
            .ToList();
        var orderOptions = usable
            .Where(c => c.Target == CouponTerms.TargetOrder && MeetsMinimum(c, total) && AmountOff(c, total) > 0)
            .OrderByDescending(c => AmountOff(c, total))
            .ToList();
        Trim(lineOptions, orderOptions);

        var chosen = new IssuedCoupon?[lines.Count];
        var best = new Choice(0, [], null);
        Visit(0, 0);
        return Compute(lines, best.LineCoupons, best.OrderCoupon);

        void Visit(int line, long productOff)
        {
            if (line == lines.Count)
            {
                Consider(productOff, null);
                var orderBase = total - productOff;
                foreach (var coupon in orderOptions)
                {
                    if (MeetsMinimum(coupon, orderBase) && AmountOff(coupon, orderBase) is > 0 and var off)
                    {
                        Consider(productOff + off, coupon);
                    }
                }

                return;
            }

            chosen[line] = null;
            Visit(line + 1, productOff);
            foreach (var (coupon, off) in lineOptions[line])
            {
                chosen[line] = coupon;
                Visit(line + 1, productOff + off);
            }

            chosen[line] = null;
        }

        void Consider(long totalOff, IssuedCoupon? orderCoupon)
        {
            var candidate = new Choice(totalOff, (IssuedCoupon?[])chosen.Clone(), orderCoupon);
            if (candidate.CompareTo(best) > 0)
            {
                best = candidate;
            }
        }
    }

    private static void Trim(List<List<(IssuedCoupon Coupon, long Off)>> lineOptions, List<IssuedCoupon> orderOptions)
    {
        while (Combinations(lineOptions, orderOptions) > MaxCombinations)
        {
            var longest = lineOptions.MaxBy(o => o.Count)!;
            if (orderOptions.Count >= longest.Count)
            {
                orderOptions.RemoveAt(orderOptions.Count - 1);
            }
            else
            {
                longest.RemoveAt(longest.Count - 1);
            }
        }
    }

    private static double Combinations(List<List<(IssuedCoupon Coupon, long Off)>> lineOptions, List<IssuedCoupon> orderOptions) =>
        lineOptions.Aggregate((double)orderOptions.Count + 1, (product, options) => product * (options.Count + 1));

    private static Discount Compute(IReadOnlyList<BasketLine> lines, IssuedCoupon?[] lineCoupons, IssuedCoupon? orderCoupon)
    {
        var lineDiscounts = lines
            .Select((line, i) => lineCoupons.Length > i && lineCoupons[i] is { } coupon
                ? new LineDiscount(line.ProductId, AmountOff(coupon, line.Amount), coupon.Id)
                : new LineDiscount(line.ProductId, 0, null))
            .ToList();
        var orderBase = lines.Sum(l => l.Amount) - lineDiscounts.Sum(l => l.Amount);
        var orderOff = orderCoupon is null ? 0 : AmountOff(orderCoupon, orderBase);
        var applied = lineDiscounts.Where(l => l.CouponId is not null).Select(l => l.CouponId!.Value)
            .Concat(orderCoupon is null ? [] : [orderCoupon.Id])
            .Order()
            .ToList();
        return new Discount(lineDiscounts, orderOff, orderCoupon?.Id, applied);
    }

    private static string? Unusable(IssuedCoupon coupon, DateTimeOffset now) =>
        coupon.Status != CouponTerms.Available ? $"it is {coupon.Status}, not {CouponTerms.Available}."
        : coupon.ExpiresAt <= now ? "it has expired."
        : null;

    private static bool MeetsMinimum(IssuedCoupon coupon, long baseAmount) => coupon.MinOrderAmount is not { } minimum || baseAmount >= minimum;

    private static int IndexOf(IReadOnlyList<BasketLine> lines, long? productId)
    {
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].ProductId == productId)
            {
                return i;
            }
        }

        return -1;
    }

    // A malformed basket is the caller's bug, not the member's: it is not reported as a problem detail.
    private static void CheckBasket(IReadOnlyList<BasketLine> lines)
    {
        if (lines.Any(l => l.Quantity <= 0 || l.UnitPrice < 0))
        {
            throw new ArgumentException("Basket lines need a positive quantity and a price of at least zero.", nameof(lines));
        }

        if (lines.DistinctBy(l => l.ProductId).Count() != lines.Count)
        {
            throw new ArgumentException("Basket lines must name distinct products; merge duplicates first.", nameof(lines));
        }
    }

    private static AppException NotUsable(IssuedCoupon coupon, string reason) =>
        AppException.Unprocessable(CouponErrors.CouponNotUsable, $"Coupon {coupon.Id} cannot be used: {reason}").With("couponId", coupon.Id);

    /// <summary>One combination, ordered so that the better one compares greater.</summary>
    private sealed record Choice(long TotalOff, IssuedCoupon?[] LineCoupons, IssuedCoupon? OrderCoupon) : IComparable<Choice>
    {
        private List<IssuedCoupon> Coupons => [.. LineCoupons.OfType<IssuedCoupon>(), .. OrderCoupon is null ? [] : new[] { OrderCoupon }];

        public int CompareTo(Choice? other)
        {
            if (other is null)
            {
                return 1;
            }

            if (TotalOff != other.TotalOff)
            {
                return TotalOff.CompareTo(other.TotalOff);
            }

            var mine = Coupons;
            var theirs = other.Coupons;
            if (mine.Count != theirs.Count)
            {
                return theirs.Count.CompareTo(mine.Count);
            }

            var byExpiry = Lexicographic(theirs.Select(c => c.ExpiresAt).Order(), mine.Select(c => c.ExpiresAt).Order());
            return byExpiry != 0 ? byExpiry : Lexicographic(theirs.Select(c => c.Id).Order(), mine.Select(c => c.Id).Order());
        }

        private static int Lexicographic<T>(IEnumerable<T> left, IEnumerable<T> right) where T : IComparable<T> =>
            left.Zip(right, (l, r) => l.CompareTo(r)).FirstOrDefault(c => c != 0);
    }
}

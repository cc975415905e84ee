using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Catalog.Contracts;
using Commerce.Modules.Coupons.Contracts;
using FluentValidation;

namespace Commerce.Modules.Orders;

/// <summary>
/// What PlaceOrder and Checkout share: turning a basket into priced, reserved lines with coupons applied,
/// taking the locks in the global order — the member's coupons first, then the products (ascending id).
/// </summary>
internal static class OrderPricing
{
    public const int MaxLines = 50;
    public const int MaxQuantity = 100;
    public const int MaxCoupons = 10;

    internal sealed record PricedOrder(IReadOnlyList<OrderLineView> Lines, long Subtotal, Discount Discount)
    {
        public long Total => Subtotal - Discount.Total;
    }

    /// <summary>The same product twice becomes one line with the summed quantity; lines come out in product id order.</summary>
    public static IReadOnlyList<StockLine> Merge(IEnumerable<OrderItem> items) =>
        items.GroupBy(i => i.ProductId).Select(g => new StockLine(g.Key, g.Sum(i => i.Quantity))).OrderBy(l => l.ProductId).ToList();

    public static async Task<PricedOrder> PriceAsync(
        ICouponRedemption coupons,
        IProductStock stock,
        long memberId,
        IReadOnlyList<OrderItem> items,
        IReadOnlyList<long>? couponIds,
        DateTimeOffset now,
        CancellationToken ct)
    {
        var lines = Merge(items);

        // 1. The member's coupons (lock order step 2): the chosen ones, or every usable one to pick the best from.
        IReadOnlyList<IssuedCoupon> candidates;
        if (couponIds is null)
        {
            candidates = await coupons.LockUsableAsync(memberId, now, ct);
        }
        else
        {
            var wanted = couponIds.Distinct().Order().ToList();
            candidates = await coupons.LockAsync(memberId, wanted, ct);
            var unknown = wanted.Except(candidates.Select(c => c.Id)).FirstOrDefault();
            if (unknown != 0)
            {
                throw AppException.Unprocessable(CouponErrors.CouponNotUsable, $"Coupon {unknown} is not one of your coupons.").With("couponId", unknown);
            }
        }

        // 2. The products (lock order step 3): exist, on sale, in stock; the stock is taken now.
        var products = (await stock.ReserveAsync(lines, ct)).ToDictionary(p => p.Id);
        var basket = lines.Select(l => new BasketLine(l.ProductId, l.Quantity, products[l.ProductId].Price)).ToList();

        // 3. Product coupons on their lines, then at most one order coupon on what is left.
        var discount = couponIds is null ? coupons.ChooseBest(basket, candidates, now) : coupons.Apply(basket, candidates, now);
        var lineDiscounts = discount.Lines.ToDictionary(l => l.ProductId);
        var priced = basket.Select(b =>
        {
            var lineDiscount = lineDiscounts.GetValueOrDefault(b.ProductId);
            var amount = lineDiscount?.Amount ?? 0;
            return new OrderLineView(b.ProductId, products[b.ProductId].Name, b.Quantity, b.UnitPrice, amount, lineDiscount?.CouponId, b.Amount - amount);
        }).ToList();
        return new PricedOrder(priced, basket.Sum(b => b.Amount), discount);
    }

    /// <summary>Shape rules of a basket, shared by the PlaceOrder and Checkout validators.</summary>
    public static void BasketRules<T>(AbstractValidator<T> validator, Func<T, IReadOnlyList<OrderItem>> items, Func<T, IReadOnlyList<long>?> couponIds)
    {
        validator.RuleFor(c => items(c)).NotEmpty().Must(i => i.Count <= MaxLines)
            .WithMessage($"An order has 1 to {MaxLines} lines.").OverridePropertyName("items");
        // JSON binding enforces nullability on members but not on list elements: "items": [null] arrives as a null line.
        validator.RuleForEach(c => items(c)).NotNull().WithMessage("An order line must not be null.").ChildRules(item =>
        {
            item.RuleFor(i => i.ProductId).GreaterThan(0);
            item.RuleFor(i => i.Quantity).InclusiveBetween(1, MaxQuantity);
        }).OverridePropertyName("items");
        validator.RuleFor(c => items(c))
            .Must(i => i.GroupBy(x => x.ProductId).All(g => g.Sum(x => (long)x.Quantity) <= MaxQuantity))
            .WithMessage($"Lines of the same product are merged, and the merged quantity must be at most {MaxQuantity}.")
            .OverridePropertyName("items")
            .When(c => items(c) is { Count: > 0 } lines && lines.All(line => line is not null));
        validator.RuleFor(c => couponIds(c)).Must(ids => ids!.Count <= MaxCoupons && ids.All(id => id > 0))
            .WithMessage($"At most {MaxCoupons} positive coupon ids.")
            .OverridePropertyName("couponIds")
            .When(c => couponIds(c) is not null);
    }
}

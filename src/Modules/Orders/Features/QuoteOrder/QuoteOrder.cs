using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Commerce.Modules.Catalog.Contracts;
using Commerce.Modules.Coupons.Contracts;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Orders.Features.QuoteOrder;

/// <summary>
/// What a basket would cost the member now: the same merge, product checks and coupon choice as PlaceOrder and
/// Checkout (the best combination of usable coupons, or exactly the named ones), read from committed state without
/// taking a lock or changing anything. A checkout right after gives the same lines and total unless a price, the
/// stock or the member's coupons changed in between.
/// </summary>
public sealed record QuoteOrder(long MemberId, IReadOnlyList<OrderItem> Items, IReadOnlyList<long>? CouponIds) : IQuery<OrderQuote>;

public sealed record OrderQuote(
    IReadOnlyList<OrderLineView> Lines,
    long Subtotal,
    long Discount,
    long? OrderCouponId,
    long OrderDiscount,
    IReadOnlyList<long> CouponIds,
    long Total);

internal sealed class QuoteOrderValidator : AbstractValidator<QuoteOrder>
{
    public QuoteOrderValidator() => NewOrder.BasketRules(this, q => q.Items, q => q.CouponIds);
}

internal sealed class QuoteOrderHandler(ICouponReader coupons, ICouponRedemption discounts, IProductReader products, TimeProvider clock)
    : IRequestHandler<QuoteOrder, OrderQuote>
{
    public async Task<OrderQuote> Handle(QuoteOrder query, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var lines = NewOrder.Merge(query.Items);

        // 1. The member's coupons: the named ones (each must be theirs), or every usable one to choose the best from.
        var named = NewOrder.Named(query.CouponIds);
        var candidates = named is null
            ? await coupons.ReadUsableAsync(query.MemberId, now, ct)
            : NewOrder.AllFound(named, await coupons.ReadAsync(query.MemberId, named, ct));

        // 2. The products as a checkout would find them: exist, on sale, enough stock (the same refusals, nothing taken).
        var read = await products.ReadAsync(lines.Select(l => l.ProductId).ToList(), ct);
        Check(lines, read.ToDictionary(p => p.Id));

        // 3. The discounts exactly as an order chooses them.
        var priced = NewOrder.Price(discounts, lines, read, candidates, chooseBest: named is null, now);
        var discount = priced.Discount;
        return new OrderQuote(priced.Lines, priced.Subtotal, discount.Total, discount.OrderCouponId, discount.OrderDiscount, discount.AppliedCouponIds,
            priced.Subtotal - discount.Total);
    }

    /// <summary>The reservation's refusals, in its order: missing, then discontinued, then short.</summary>
    private static void Check(IReadOnlyList<StockLine> lines, Dictionary<long, ProductSnapshot> found)
    {
        if (lines.FirstOrDefault(l => !found.ContainsKey(l.ProductId)) is { } missing)
        {
            throw AppException.NotFound(CatalogErrors.ProductNotFound, $"Product {missing.ProductId} does not exist.").With("productId", missing.ProductId);
        }

        if (lines.FirstOrDefault(l => found[l.ProductId].Status != ProductStatus.OnSale) is { } discontinued)
        {
            throw AppException.Conflict(CatalogErrors.ProductDiscontinued, $"Product {discontinued.ProductId} is no longer on sale.")
                .With("productId", discontinued.ProductId);
        }

        if (lines.FirstOrDefault(l => found[l.ProductId].Stock < l.Quantity) is { } shortLine)
        {
            var available = found[shortLine.ProductId].Stock;
            throw AppException.Conflict(CatalogErrors.OutOfStock, $"Product {shortLine.ProductId} has {available} in stock; {shortLine.Quantity} were requested.")
                .With("productId", shortLine.ProductId).With("requested", shortLine.Quantity).With("available", available);
        }
    }
}

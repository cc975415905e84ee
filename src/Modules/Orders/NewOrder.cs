using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Catalog.Contracts;
using Commerce.Modules.Coupons.Contracts;
using Dapper;
using FluentValidation;
using Npgsql;

namespace Commerce.Modules.Orders;

/// <summary>
/// The steps PlaceOrder and Checkout share, one copy each (QuoteOrder uses the pure ones): the basket's shape rules,
/// merging and pricing its lines, and the one INSERT of a new order with its lines. Nothing here takes a lock: each
/// slice takes its own, in the global lock order, where its file says.
/// </summary>
internal static class NewOrder
{
    public const int MaxLines = 50;
    public const int MaxQuantity = 100;
    public const int MaxCoupons = 10;

    internal sealed record Priced(IReadOnlyList<OrderLineView> Lines, long Subtotal, Discount Discount);

    /// <summary>Shape rules of a basket, shared by the PlaceOrder, Checkout and QuoteOrder validators.</summary>
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

    /// <summary>The same product twice becomes one line with the summed quantity; lines come out in product id order.</summary>
    public static IReadOnlyList<StockLine> Merge(IEnumerable<OrderItem> items) =>
        items.GroupBy(i => i.ProductId).Select(g => new StockLine(g.Key, g.Sum(i => i.Quantity))).OrderBy(l => l.ProductId).ToList();

    /// <summary>
    /// The coupons the member named, each once, ascending (the order in which one that is not theirs is reported);
    /// null when they named none, which asks for the best of their usable coupons.
    /// </summary>
    public static IReadOnlyList<long>? Named(IReadOnlyList<long>? couponIds) => couponIds?.Distinct().Order().ToList();

    /// <summary>The named coupons as found; 422 COUPON_NOT_USABLE for the first named id that is not one of the member's.</summary>
    public static IReadOnlyList<IssuedCoupon> AllFound(IReadOnlyList<long> named, IReadOnlyList<IssuedCoupon> found)
    {
        var unknown = named.Except(found.Select(c => c.Id)).FirstOrDefault();
        return unknown == 0
            ? found
            : throw AppException.Unprocessable(CouponErrors.CouponNotUsable, $"Coupon {unknown} is not one of your coupons.").With("couponId", unknown);
    }

    /// <summary>
    /// The lines at the products' prices with the coupons applied: product coupons on their lines, then at most one
    /// order coupon on what is left; the best combination of <paramref name="candidates"/> when
    /// <paramref name="chooseBest"/>, else exactly those (422 COUPON_NOT_USABLE). Pure: no database.
    /// </summary>
    public static Priced Price(
        ICouponRedemption coupons,
        IReadOnlyList<StockLine> lines,
        IReadOnlyList<ProductSnapshot> products,
        IReadOnlyList<IssuedCoupon> candidates,
        bool chooseBest,
        DateTimeOffset now)
    {
        var byId = products.ToDictionary(p => p.Id);
        var basket = lines.Select(l => new BasketLine(l.ProductId, l.Quantity, byId[l.ProductId].Price)).ToList();
        var discount = chooseBest ? coupons.ChooseBest(basket, candidates, now) : coupons.Apply(basket, candidates, now);
        var lineDiscounts = discount.Lines.ToDictionary(l => l.ProductId);
        var priced = basket.Select(b =>
        {
            var lineDiscount = lineDiscounts.GetValueOrDefault(b.ProductId);
            var amount = lineDiscount?.Amount ?? 0;
            return new OrderLineView(b.ProductId, byId[b.ProductId].Name, b.Quantity, b.UnitPrice, amount, lineDiscount?.CouponId, b.Amount - amount);
        }).ToList();
        return new Priced(priced, basket.Sum(b => b.Amount), discount);
    }

    // The order and its lines in one statement (one round trip while the product rows are locked). New rows: nothing
    // else can hold them, so this takes no lock another command could wait on. The id is the caller's when it drew one
    // ahead (NextId: Checkout names the order in statements sent in the same round trip), else the next one.
    private const string InsertSql = """
        WITH new_order AS (
            INSERT INTO orders.orders (id, member_id, status, flow, subtotal, discount, total, order_coupon_id, order_discount,
                                       coupon_ids, payment_deadline, created_at, updated_at, paid_at)
            OVERRIDING SYSTEM VALUE
            VALUES (coalesce(@Id, nextval(pg_get_serial_sequence('orders.orders', 'id'))), @MemberId, @Status, @Flow, @Subtotal,
                    @Discount, @Subtotal - @Discount, @OrderCouponId, @OrderDiscount, @CouponIds, @PaymentDeadline, @Now, @Now, @PaidAt)
            RETURNING id
        ), new_lines AS (
            INSERT INTO orders.order_lines (order_id, product_id, product_name, quantity, unit_price, discount, coupon_id, amount)
            SELECT new_order.id, l.product_id, l.product_name, l.quantity, l.unit_price, l.discount, l.coupon_id, l.amount
            FROM new_order,
                 unnest(@ProductIds, @ProductNames, @Quantities, @UnitPrices, @LineDiscounts, @LineCouponIds, @Amounts)
                     AS l(product_id, product_name, quantity, unit_price, discount, coupon_id, amount)
        )
        SELECT id FROM new_order
        """;

    private const string NextIdSql = "SELECT nextval(pg_get_serial_sequence('orders.orders', 'id'))";

    /// <summary>
    /// Draws a new order's id, for a command that must name the order before it inserts it: a statement for the caller's
    /// batch (DbSession.Batch) whose one row is the id. Takes no lock.
    /// </summary>
    public static NpgsqlBatchCommand NextId() => new(NextIdSql);

    /// <summary>Inserts the priced order and its lines (see <see cref="InsertSql"/>) and returns it as the API shows it, without a payment.</summary>
    public static async Task<OrderView> InsertAsync(
        DbSession session,
        long memberId,
        string status,
        string flow,
        Priced priced,
        DateTimeOffset? paymentDeadline,
        DateTimeOffset now,
        DateTimeOffset? paidAt,
        CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(session.Connection, session.Transaction);
        var order = Insert(batch.BatchCommands, id: null, memberId, status, flow, priced, paymentDeadline, now, paidAt);
        var id = (long)(await batch.ExecuteScalarAsync(ct))!;
        return order with { Id = id };
    }

    /// <summary>
    /// Adds the INSERT of the priced order and its lines (see <see cref="InsertSql"/>) with the drawn <paramref name="id"/>
    /// to the caller's statements and returns the order as the API will show it once they ran, without a payment.
    /// </summary>
    public static OrderView Insert(
        ICollection<NpgsqlBatchCommand> batch,
        long? id,
        long memberId,
        string status,
        string flow,
        Priced priced,
        DateTimeOffset? paymentDeadline,
        DateTimeOffset now,
        DateTimeOffset? paidAt)
    {
        var (lines, discount) = (priced.Lines, priced.Discount);
        batch.Add(new NpgsqlBatchCommand(InsertSql)
        {
            Parameters =
            {
                new NpgsqlParameter<long?>("Id", id),
                new NpgsqlParameter<long>("MemberId", memberId),
                new NpgsqlParameter<string>("Status", status),
                new NpgsqlParameter<string>("Flow", flow),
                new NpgsqlParameter<long>("Subtotal", priced.Subtotal),
                new NpgsqlParameter<long>("Discount", discount.Total),
                new NpgsqlParameter<long?>("OrderCouponId", discount.OrderCouponId),
                new NpgsqlParameter<long>("OrderDiscount", discount.OrderDiscount),
                new NpgsqlParameter<long[]>("CouponIds", discount.AppliedCouponIds.ToArray()),
                new NpgsqlParameter<DateTimeOffset?>("PaymentDeadline", paymentDeadline?.ToUniversalTime()),
                new NpgsqlParameter<DateTimeOffset>("Now", now.ToUniversalTime()),
                new NpgsqlParameter<DateTimeOffset?>("PaidAt", paidAt?.ToUniversalTime()),
                new NpgsqlParameter<long[]>("ProductIds", lines.Select(l => l.ProductId).ToArray()),
                new NpgsqlParameter<string[]>("ProductNames", lines.Select(l => l.ProductName).ToArray()),
                new NpgsqlParameter<int[]>("Quantities", lines.Select(l => l.Quantity).ToArray()),
                new NpgsqlParameter<long[]>("UnitPrices", lines.Select(l => l.UnitPrice).ToArray()),
                new NpgsqlParameter<long[]>("LineDiscounts", lines.Select(l => l.Discount).ToArray()),
                new NpgsqlParameter<long?[]>("LineCouponIds", lines.Select(l => l.CouponId).ToArray()),
                new NpgsqlParameter<long[]>("Amounts", lines.Select(l => l.Amount).ToArray()),
            },
        });

        var row = new OrderStore.OrderRow
        {
            Id = id ?? 0,
            MemberId = memberId,
            Status = status,
            Flow = flow,
            Subtotal = priced.Subtotal,
            Discount = discount.Total,
            Total = priced.Subtotal - discount.Total,
            OrderCouponId = discount.OrderCouponId,
            OrderDiscount = discount.OrderDiscount,
            CouponIds = discount.AppliedCouponIds.ToArray(),
            PaymentDeadline = paymentDeadline,
            CreatedAt = now,
            PaidAt = paidAt,
        };
        return OrderStore.View(row, lines, null);
    }
}

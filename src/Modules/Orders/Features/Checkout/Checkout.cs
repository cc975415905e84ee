using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Modules.Catalog.Contracts;
using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Points.Contracts;
using FluentValidation;
using MediatR;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.Modules.Orders.Features.Checkout;

/// <summary>
/// Flow B: a one-step purchase paid with prepaid points, in one transaction taking the locks in the seed's
/// order — the member's coupons, the products (sale status, stock, price), then the wallet. Any failure
/// (discontinued, out of stock, coupon not usable, insufficient points) rolls everything back.
/// </summary>
public sealed record Checkout(long MemberId, IReadOnlyList<OrderItem> Items, IReadOnlyList<long>? CouponIds, string? IdempotencyKey = null)
    : ICommand<OrderView>, IIdempotentCommand;

internal sealed class CheckoutValidator : AbstractValidator<Checkout>
{
    public CheckoutValidator() => NewOrder.BasketRules(this, c => c.Items, c => c.CouponIds);
}

/// <summary>
/// Flow B step 2 (seeds/README.md); step 1, the member check, is the endpoint's Member policy. The rows it locks, in
/// this order (design.md's global lock order, its steps 2 to 4), each held until commit:
///   1. the member's issued coupons, by id ascending: step 1, ICouponRedemption.Lock;
///   2. the product rows, by id ascending: step 4, IProductStock.SellOrRaise, with the COMMIT;
///   3. the member's point wallet: step 4, IPointWallet.DeductOrRaise, with the COMMIT, after the products.
/// There is no order row yet to lock (design.md's 1). A hot product's lock is what every buyer of it waits for, so
/// everything that does not need it comes before it: the order's id, the coupons and an unlocked read of the products
/// to price the order from, in one round trip (step 1). The product lock is taken in the COMMIT's round trip and held
/// for that one only, inside the server: the statement that takes it checks the products still have what the order was
/// priced from, sells, and the order, wallet, outbox and stored-response writes follow it in the same batch. A product
/// that changed between the read and the lock makes the pipeline run the whole command again. Two round trips in all,
/// step 1's and the COMMIT's, and a third before them for an Idempotency-Key (the pipeline's claim).
/// </summary>
internal sealed class CheckoutHandler(
    DbSession session,
    ICouponRedemption coupons,
    IProductReader catalog,
    IProductStock stock,
    IPointWallet wallet,
    Outbox outbox,
    TimeProvider clock) : IRequestHandler<Checkout, OrderView>
{
    public async Task<OrderView> Handle(Checkout command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var lines = NewOrder.Merge(command.Items);

        // 1. In one round trip, before any product lock: the new order's id (the statements of step 4 name the order
        //    without reading its INSERT back); the member's issued coupons, locked (FOR UPDATE, id order; Flow B 2.1):
        //    every usable one to choose the best from, or exactly the named ones; and the products as committed, without
        //    a lock (reading takes none, so the lock order stays coupons, products, wallet).
        var named = NewOrder.Named(command.CouponIds);
        long orderId;
        IReadOnlyList<IssuedCoupon> candidates = [];
        List<ProductSnapshot> products;
        await using (var reads = session.Batch())
        {
            reads.BatchCommands.Add(NewOrder.NextId());
            if (named is not { Count: 0 })
            {
                reads.BatchCommands.Add(coupons.Lock(command.MemberId, named, now));
            }

            reads.BatchCommands.Add(catalog.Read(lines.Select(l => l.ProductId).ToList()));
            await using var reader = await reads.ExecuteReaderAsync(ct);
            orderId = (await reader.ReadRowsAsync<long>(ct))[0];
            if (named is not { Count: 0 })
            {
                candidates = await reader.ReadRowsAsync<IssuedCoupon>(ct);
            }

            products = await reader.ReadRowsAsync<ProductSnapshot>(ct);
        }

        // 2. Each named coupon must be theirs (422 COUPON_NOT_USABLE); each product must exist (404), be ON_SALE (409
        //    PRODUCT_DISCONTINUED) and have the quantity (409 OUT_OF_STOCK) as read (Flow B 2.2-2.4). Step 4 checks the
        //    last two again under the lock.
        if (named is not null)
        {
            candidates = NewOrder.AllFound(named, candidates);
        }

        CatalogErrors.ThrowIfNotSellable(lines, products);

        // 3. Product coupons on their lines, then at most one order coupon on what is left (Flow B 2.6), at the prices read.
        var priced = NewOrder.Price(coupons, lines, products, candidates, chooseBest: named is null, now);

        // 4. With the COMMIT, in its one round trip (DbSession.BeforeCommit; the outbox row of step 5 and a stored response
        //    follow them): the applied coupons, locked in step 1, are USED (Flow B 2.7); lock the product rows (FOR UPDATE,
        //    id order), check they still are as step 1 read them, take the stock and add the sale to the popular-products
        //    figures (Flow B 2.2-2.5, IProductStock.SellOrRaise); the order and its lines (new rows, no lock), paid at once;
        //    lock the member's wallet (FOR UPDATE, last) and deduct the points (Flow B 2.8; a free order touches no wallet);
        //    the payment record. Nothing here is read back: the response is what this handler already knows. A coupon that
        //    cannot be marked raises 422 COUPON_NOT_USABLE, a product that cannot be sold 409 PRODUCT_DISCONTINUED or
        //    OUT_OF_STOCK, one whose price or name changed a stale read (the pipeline runs the command again), a short
        //    wallet 409 INSUFFICIENT_POINTS; the server skips the rest of the batch, COMMIT included, and the pipeline rolls
        //    back everything above. The payment's ledger entry is the one IPointWallet.DeductOrRaise inserted right before
        //    it, the last sequence value the session drew (the contract says so); a free order has none.
        const string InsertPaymentSql = """
            INSERT INTO orders.payments (id, order_id, member_id, method, amount, status, idempotency_key, points_ledger_id, created_at, completed_at)
            VALUES (@Id, @OrderId, @MemberId, 'POINTS', @Amount, 'APPROVED', @IdempotencyKey, CASE WHEN @Deducted THEN lastval() END, @Now, @Now)
            """;
        var batch = new List<NpgsqlBatchCommand>();
        if (priced.Discount.AppliedCouponIds.Count > 0)
        {
            batch.Add(coupons.MarkUsedOrRaise(priced.Discount.AppliedCouponIds, orderId, now));
        }

        batch.Add(stock.SellOrRaise(lines, products, now));
        var order = NewOrder.Insert(batch, orderId, command.MemberId, OrderStatus.Paid, OrderFlow.Checkout, priced,
            paymentDeadline: null, now, paidAt: now);
        if (order.Total > 0)
        {
            batch.Add(wallet.DeductOrRaise(command.MemberId, order.Total, $"order-{order.Id}"));
        }

        var payment = new PaymentView(Guid.CreateVersion7(now), PaymentMethod.Points, PaymentStatus.Approved, order.Total, null, null, now, now);
        batch.Add(new NpgsqlBatchCommand(InsertPaymentSql)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid>("Id", payment.Id),
                new NpgsqlParameter<long>("OrderId", order.Id),
                new NpgsqlParameter<long>("MemberId", command.MemberId),
                new NpgsqlParameter<long>("Amount", payment.Amount),
                new NpgsqlParameter("IdempotencyKey", NpgsqlDbType.Text) { Value = (object?)command.IdempotencyKey ?? DBNull.Value },
                new NpgsqlParameter<bool>("Deducted", order.Total > 0),
                new NpgsqlParameter<DateTimeOffset>("Now", now.ToUniversalTime()),
            },
        });
        batch.ForEach(session.BeforeCommit);

        // 5. The data platform hears of it after commit, through the outbox (Flow B step 4).
        var paid = order with { Payment = payment };
        outbox.Record(new OrderPaid(paid));
        return paid;
    }
}

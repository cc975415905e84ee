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
///   1. the member's issued coupons, by id ascending: step 2, ICouponRedemption.LockUsableAsync or LockAsync;
///   2. the product rows, by id ascending: step 3, IProductStock.LockAndSellAsync;
///   3. the member's point wallet: step 6, IPointWallet.DeductOrRaise, with the COMMIT.
/// There is no order row yet to lock (design.md's 1). A hot product's lock is what every buyer of it waits for, so
/// what needs no lock comes before it (the order's id) and it is held for two round trips: the one that takes it
/// (step 3) and the COMMIT's, which carries every write that follows (step 6, then the pipeline's outbox row and stored
/// response). Applied coupons add one between them (step 5).
/// </summary>
internal sealed class CheckoutHandler(
    DbSession session,
    ICouponRedemption coupons,
    IProductStock stock,
    IPointWallet wallet,
    Outbox outbox,
    TimeProvider clock) : IRequestHandler<Checkout, OrderView>
{
    public async Task<OrderView> Handle(Checkout command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var lines = NewOrder.Merge(command.Items);

        // 1. The new order's id, drawn before any lock: the statements of step 6 name the order without reading its INSERT back.
        var orderId = await NewOrder.NextIdAsync(session, ct);

        // 2. Lock the member's issued coupons (FOR UPDATE, id order; Flow B 2.1): every usable one to choose the best
        //    from, or exactly the named ones, each of which must be theirs (422 COUPON_NOT_USABLE).
        var named = NewOrder.Named(command.CouponIds);
        var candidates = named is null
            ? await coupons.LockUsableAsync(command.MemberId, now, ct)
            : NewOrder.AllFound(named, await coupons.LockAsync(command.MemberId, named, ct));

        // 3. Lock the product rows (FOR UPDATE, id order), take the stock and add the sale to the popular-products figures, in
        //    one statement (Flow B 2.2-2.5: the product, its sale status, stock and price under one lock): each must exist
        //    (404), be ON_SALE (409 PRODUCT_DISCONTINUED) and have the quantity (409 OUT_OF_STOCK), or nothing is written.
        var products = await stock.LockAndSellAsync(lines, now, ct);

        // 4. Product coupons on their lines, then at most one order coupon on what is left (Flow B 2.6).
        var priced = NewOrder.Price(coupons, lines, products, candidates, chooseBest: named is null, now);

        // 5. The applied coupons, locked in step 2, are USED (Flow B 2.7).
        if (priced.Discount.AppliedCouponIds.Count > 0)
        {
            await coupons.MarkUsedAsync(priced.Discount.AppliedCouponIds, orderId, now, ct);
        }

        // 6. With the COMMIT, in its one round trip (DbSession.BeforeCommit; the outbox row of step 7 and a stored response
        //    follow them): the order and its lines (new rows, no lock), paid at once; lock the member's wallet (FOR UPDATE,
        //    last) and deduct the points (Flow B 2.8; a free order touches no wallet); the payment record. Nothing here is
        //    read back: the response is what this handler already knows. Short of points, the deduction raises 409
        //    INSUFFICIENT_POINTS in the database, the server skips the rest of the batch, COMMIT included, and the pipeline
        //    rolls back everything above. The payment's ledger entry is the one IPointWallet.DeductOrRaise inserted right
        //    before it, the last sequence value the session drew (the contract says so); a free order has none.
        const string InsertPaymentSql = """
            INSERT INTO orders.payments (id, order_id, member_id, method, amount, status, idempotency_key, points_ledger_id, created_at, completed_at)
            VALUES (@Id, @OrderId, @MemberId, 'POINTS', @Amount, 'APPROVED', @IdempotencyKey, CASE WHEN @Deducted THEN lastval() END, @Now, @Now)
            """;
        var batch = new List<NpgsqlBatchCommand>();
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

        // 7. The data platform hears of it after commit, through the outbox (Flow B step 4).
        var paid = order with { Payment = payment };
        outbox.Record(new OrderPaid(paid));
        return paid;
    }
}

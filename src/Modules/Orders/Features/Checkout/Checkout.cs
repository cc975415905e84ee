using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Modules.Catalog.Contracts;
using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Points.Contracts;
using Dapper;
using FluentValidation;
using MediatR;

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
///   1. the member's issued coupons, by id ascending: step 1, ICouponRedemption.LockUsableAsync or LockAsync;
///   2. the product rows, by id ascending: step 2, IProductStock.LockAndReserveAsync (step 8 locks them again: already held);
///   3. the member's point wallet: step 6, IPointWallet.DeductAsync.
/// There is no order row yet to lock (design.md's 1).
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

        // 1. Lock the member's issued coupons (FOR UPDATE, id order; Flow B 2.1): every usable one to choose the best
        //    from, or exactly the named ones, each of which must be theirs (422 COUPON_NOT_USABLE).
        var named = NewOrder.Named(command.CouponIds);
        var candidates = named is null
            ? await coupons.LockUsableAsync(command.MemberId, now, ct)
            : NewOrder.AllFound(named, await coupons.LockAsync(command.MemberId, named, ct));

        // 2. Lock the product rows (FOR UPDATE, id order) and take the stock, in one statement (Flow B 2.2-2.5: the product,
        //    its sale status, stock and price under one lock): each must exist (404), be ON_SALE (409 PRODUCT_DISCONTINUED)
        //    and have the quantity (409 OUT_OF_STOCK), or nothing is taken.
        var products = await stock.LockAndReserveAsync(lines, ct);

        // 3. Product coupons on their lines, then at most one order coupon on what is left (Flow B 2.6).
        var priced = NewOrder.Price(coupons, lines, products, candidates, chooseBest: named is null, now);

        // 4. The order and its lines (one INSERT of new rows, no lock), paid at once; the used coupons name it.
        var order = await NewOrder.InsertAsync(session, command.MemberId, OrderStatus.Paid, OrderFlow.Checkout, priced,
            paymentDeadline: null, now, paidAt: now, ct);

        // 5. The applied coupons, locked in step 1, are USED (Flow B 2.7).
        if (order.CouponIds.Count > 0)
        {
            await coupons.MarkUsedAsync(order.CouponIds, order.Id, now, ct);
        }

        // 6. Lock the member's wallet (FOR UPDATE, last) and deduct the points, in one statement (Flow B 2.8); a free order
        //    touches no wallet. 409 INSUFFICIENT_POINTS rolls back everything above.
        long? ledgerId = order.Total > 0 ? (await wallet.DeductAsync(command.MemberId, order.Total, $"order-{order.Id}", ct)).LedgerEntryId : null;

        // 7. The payment record.
        const string InsertPaymentSql = """
            INSERT INTO orders.payments (id, order_id, member_id, method, amount, status, idempotency_key, points_ledger_id, created_at, completed_at)
            VALUES (@Id, @OrderId, @MemberId, 'POINTS', @Amount, 'APPROVED', @IdempotencyKey, @LedgerId, @Now, @Now)
            """;
        var payment = new PaymentView(Guid.CreateVersion7(now), PaymentMethod.Points, PaymentStatus.Approved, order.Total, null, null, now, now);
        await session.Connection.ExecuteAsync(session.Command(InsertPaymentSql, new
        {
            payment.Id,
            OrderId = order.Id,
            command.MemberId,
            payment.Amount,
            command.IdempotencyKey,
            LedgerId = ledgerId,
            Now = now,
        }, ct));

        // 8. The popular-products figures. It locks the product rows again: held since step 2, so it neither waits nor breaks the order.
        await stock.RecordSoldAsync(order.Lines.Select(l => new StockLine(l.ProductId, l.Quantity)).ToList(), now, ct);

        // 9. The data platform hears of it after commit, through the outbox (Flow B step 4).
        var paid = order with { Payment = payment };
        outbox.Record(new OrderPaid(paid));
        return paid;
    }
}

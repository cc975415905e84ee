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
    public CheckoutValidator() => OrderPricing.BasketRules(this, c => c.Items, c => c.CouponIds);
}

internal sealed class CheckoutHandler(
    DbSession session,
    ICouponRedemption coupons,
    IProductStock stock,
    IPointWallet wallet,
    Outbox outbox,
    TimeProvider clock) : IRequestHandler<Checkout, OrderView>
{
    private const string InsertPaymentSql = """
        INSERT INTO orders.payments (id, order_id, member_id, method, amount, status, idempotency_key, points_ledger_id, created_at, completed_at)
        VALUES (@Id, @OrderId, @MemberId, 'POINTS', @Amount, 'APPROVED', @IdempotencyKey, @LedgerId, @Now, @Now)
        """;

    public async Task<OrderView> Handle(Checkout command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();

        // 1-5. Coupons (locked), products: status, stock (taken), price (locked); product then order coupons.
        var priced = await OrderPricing.PriceAsync(coupons, stock, command.MemberId, command.Items, command.CouponIds, now, ct);

        // 6. The order, paid at once.
        var order = await OrderStore.InsertAsync(session, new OrderStore.NewOrder(
            command.MemberId, OrderStatus.Paid, OrderFlow.Checkout, priced.Lines, priced.Subtotal, priced.Discount.Total,
            priced.Discount.OrderCouponId, priced.Discount.OrderDiscount, priced.Discount.AppliedCouponIds,
            PaymentDeadline: null, now, PaidAt: now), ct);

        // 7. The applied coupons are used.
        if (order.CouponIds.Count > 0)
        {
            await coupons.MarkUsedAsync(order.CouponIds, order.Id, now, ct);
        }

        // 8. The points (lock order step 4): 409 INSUFFICIENT_POINTS rolls back everything above.
        long? ledgerId = order.Total > 0 ? (await wallet.DeductAsync(command.MemberId, order.Total, $"order-{order.Id}", ct)).LedgerEntryId : null;

        // 9. The payment record and the popular-products figures.
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
        await stock.RecordSoldAsync(order.Lines.Select(l => new StockLine(l.ProductId, l.Quantity)).ToList(), now, ct);

        var paid = order with { Payment = payment };
        outbox.Record(new OrderPaid(paid));
        return paid;
    }
}

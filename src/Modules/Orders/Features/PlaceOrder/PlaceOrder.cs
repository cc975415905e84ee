using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Modules.Catalog.Contracts;
using Commerce.Modules.Coupons.Contracts;
using FluentValidation;
using MediatR;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Orders.Features.PlaceOrder;

/// <summary>
/// Flow A, first half: reserve the stock and apply coupons now, pay later (PayOrder) before the deadline.
/// <paramref name="CouponIds"/> null: the best usable coupons are applied; a list (even empty): exactly those.
/// </summary>
public sealed record PlaceOrder(long MemberId, IReadOnlyList<OrderItem> Items, IReadOnlyList<long>? CouponIds, string? IdempotencyKey = null)
    : ICommand<OrderView>, IIdempotentCommand;

internal sealed class PlaceOrderValidator : AbstractValidator<PlaceOrder>
{
    public PlaceOrderValidator() => OrderPricing.BasketRules(this, c => c.Items, c => c.CouponIds);
}

internal sealed class PlaceOrderHandler(
    DbSession session,
    ICouponRedemption coupons,
    IProductStock stock,
    Outbox outbox,
    IOptions<OrdersOptions> options,
    TimeProvider clock) : IRequestHandler<PlaceOrder, OrderView>
{
    public async Task<OrderView> Handle(PlaceOrder command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();

        // 1. Coupons (locked), products (locked, stock reserved), discounts.
        var priced = await OrderPricing.PriceAsync(coupons, stock, command.MemberId, command.Items, command.CouponIds, now, ct);

        // 2. The order, waiting for payment until its deadline.
        var order = await OrderStore.InsertAsync(session, new OrderStore.NewOrder(
            command.MemberId, OrderStatus.PendingPayment, OrderFlow.PlaceOrder, priced.Lines, priced.Subtotal, priced.Discount.Total,
            priced.Discount.OrderCouponId, priced.Discount.OrderDiscount, priced.Discount.AppliedCouponIds,
            now + options.Value.PaymentDeadline, now, PaidAt: null), ct);

        // 3. The applied coupons are used by this order until it is paid, or given back.
        if (order.CouponIds.Count > 0)
        {
            await coupons.MarkUsedAsync(order.CouponIds, order.Id, now, ct);
        }

        outbox.Record(new OrderPlaced(order));
        return order;
    }
}

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
    public PlaceOrderValidator() => NewOrder.BasketRules(this, c => c.Items, c => c.CouponIds);
}

/// <summary>
/// Flow A steps 1-3 (seeds/README.md). The rows it locks, in this order (design.md's global lock order, its steps 2
/// and 3), each held until commit:
///   1. the member's issued coupons, by id ascending: step 1, ICouponRedemption.LockUsableAsync or LockAsync;
///   2. the product rows, by id ascending: step 2, IProductStock.LockAndReserveAsync.
/// There is no order row yet (design.md's 1), and the wallet (its 4) is PayOrder's.
/// </summary>
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
        var lines = NewOrder.Merge(command.Items);

        // 1. Lock the member's issued coupons (FOR UPDATE, id order): every usable one to choose the best from, or
        //    exactly the named ones, each of which must be theirs (422 COUPON_NOT_USABLE).
        var named = NewOrder.Named(command.CouponIds);
        var candidates = named is null
            ? await coupons.LockUsableAsync(command.MemberId, now, ct)
            : NewOrder.AllFound(named, await coupons.LockAsync(command.MemberId, named, ct));

        // 2. Lock the product rows (FOR UPDATE, id order) and take the stock, in one statement (Flow A step 2): each must
        //    exist (404), be ON_SALE (409 PRODUCT_DISCONTINUED) and have the quantity (409 OUT_OF_STOCK), or nothing is taken.
        var products = await stock.LockAndReserveAsync(lines, ct);

        // 3. Product coupons on their lines, then at most one order coupon on what is left, at the prices read under the locks.
        var priced = NewOrder.Price(coupons, lines, products, candidates, chooseBest: named is null, now);

        // 4. The order and its lines (one INSERT of new rows, no lock), waiting for payment until its deadline (Flow A step 3).
        var order = await NewOrder.InsertAsync(session, command.MemberId, OrderStatus.PendingPayment, OrderFlow.PlaceOrder, priced,
            paymentDeadline: now + options.Value.PaymentDeadline, now, paidAt: null, ct);

        // 5. The applied coupons, locked in step 1, are USED by this order until it is paid, or given back (Flow A step 3).
        if (order.CouponIds.Count > 0)
        {
            await coupons.MarkUsedAsync(order.CouponIds, order.Id, now, ct);
        }

        // 6. The data platform hears of it after commit, through the outbox (Flow A step 7).
        outbox.Record(new OrderPlaced(order));
        return order;
    }
}

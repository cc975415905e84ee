using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Modules.Catalog.Contracts;
using Commerce.Modules.Coupons.Contracts;
using MediatR;

namespace Commerce.Modules.Orders.Features.PayOrder;

/// <summary>
/// Step 4 of a failed PayOrder, the compensation: gives the order's coupons and stock back, in its own transaction
/// in the global lock order (order row, its coupons, its products). Sent by PayOrder and the reconciler after a
/// payment failed (which could not do it in the same transaction without taking the coupons and products after the
/// wallet) and by the sweeper when a crash came in between. Exactly once: the order records it. Being a state change of its own, it publishes
/// <see cref="OrderReleased"/> (cancel and expiry release in the same transaction as their own event, which says so).
/// </summary>
internal sealed record ReleaseOrder(long OrderId) : ICommand<bool>;

internal sealed class ReleaseOrderHandler(DbSession session, ICouponRedemption coupons, IProductStock stock, Outbox outbox, TimeProvider clock)
    : IRequestHandler<ReleaseOrder, bool>
{
    public async Task<bool> Handle(ReleaseOrder command, CancellationToken ct)
    {
        // 1. Lock the order row (global lock order 1); released once, so a second attempt finds nothing due.
        var order = await OrderStore.LockAsync(session, command.OrderId, ct);
        if (order is null || !OrderRelease.IsDue(order))
        {
            return false;
        }

        // 2. The release: the order's coupons (global lock order 2), then its products (3); the event follows in its transaction.
        var lines = await OrderStore.LinesAsync(session, order.Id, ct);
        if (!await OrderRelease.ReleaseAsync(session, coupons, stock, order, lines, clock.GetUtcNow(), ct))
        {
            return false;
        }

        outbox.Record(new OrderReleased(OrderStore.View(order, lines, await OrderStore.LatestPaymentAsync(session, order.Id, ct))));
        return true;
    }
}

using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Modules.Catalog.Contracts;
using Commerce.Modules.Coupons.Contracts;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Orders.Features.CancelOrder;

/// <summary>The member cancels an order that is still waiting for payment: coupons and stock go back at once.</summary>
public sealed record CancelOrder(long MemberId, long OrderId) : ICommand<OrderView>;

internal sealed class CancelOrderValidator : AbstractValidator<CancelOrder>
{
    public CancelOrderValidator() => RuleFor(c => c.OrderId).GreaterThan(0);
}

internal sealed class CancelOrderHandler(
    DbSession session,
    ICouponRedemption coupons,
    IProductStock stock,
    Outbox outbox,
    TimeProvider clock) : IRequestHandler<CancelOrder, OrderView>
{
    public async Task<OrderView> Handle(CancelOrder command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();

        // 1. The order row (lock order step 1): the member's own, waiting for payment. Cancelling twice is fine.
        var order = await OrderStore.LockForMemberAsync(session, command.OrderId, command.MemberId, ct);
        if (order.Status == OrderStatus.Cancelled)
        {
            return await OrderStore.ViewAsync(session, order, ct);
        }

        if (order.Status != OrderStatus.PendingPayment)
        {
            throw AppException.Conflict(OrderErrors.OrderNotCancellable, $"Order {order.Id} is {order.Status}; only a PENDING_PAYMENT order can be cancelled.")
                .With("orderId", order.Id).With("orderStatus", order.Status);
        }

        // 2. Cancelled, then the release in the same transaction: coupons (step 2), products (step 3).
        order = await OrderStore.SetStatusAsync(session, order, OrderStatus.Cancelled, now, ct);
        var lines = await OrderStore.LinesAsync(session, order.Id, ct);
        await OrderRelease.ReleaseAsync(session, coupons, stock, order, lines, now, ct);

        var cancelled = OrderStore.View(order, lines, await OrderStore.LatestPaymentAsync(session, order.Id, ct));
        outbox.Record(new OrderCancelled(cancelled));
        return cancelled;
    }
}

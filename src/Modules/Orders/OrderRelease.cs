using Commerce.BuildingBlocks.Data;
using Commerce.Modules.Catalog.Contracts;
using Commerce.Modules.Coupons.Contracts;
using Dapper;

namespace Commerce.Modules.Orders;

/// <summary>
/// The release: a failed, cancelled or expired order gives its coupons back (AVAILABLE) and its stock back.
/// Runs with the order row locked, then takes the coupons and the products in that order (the global lock
/// order), and stamps released_at so it happens exactly once however often it is attempted.
/// </summary>
internal static class OrderRelease
{
    private const string MarkReleasedSql = "UPDATE orders.orders SET released_at = @Now, updated_at = @Now WHERE id = @OrderId";

    /// <summary>
    /// The release rule in SQL, for the sweeper's query. The migration's partial index <c>orders_unreleased_idx</c> and the
    /// orders' CHECK must spell it as literals; <c>ReleaseRuleTests</c> fails when they, this text or <see cref="IsDue"/>
    /// disagree on any status.
    /// </summary>
    public const string DueSql = "released_at IS NULL AND status IN ('PAYMENT_FAILED', 'CANCELLED', 'EXPIRED')";

    /// <summary>Whether the order has coupons and stock to give back: it failed, was cancelled or expired, and is not released yet.</summary>
    public static bool IsDue(OrderStore.OrderRow order) =>
        order.ReleasedAt is null && order.Status is OrderStatus.PaymentFailed or OrderStatus.Cancelled or OrderStatus.Expired;

    public static async Task<bool> ReleaseAsync(
        DbSession session,
        ICouponRedemption coupons,
        IProductStock stock,
        OrderStore.OrderRow order,
        IReadOnlyList<OrderLineView> lines,
        DateTimeOffset now,
        CancellationToken ct)
    {
        if (!IsDue(order))
        {
            return false;
        }

        if (order.CouponIds.Length > 0)
        {
            await coupons.RestoreAsync(order.CouponIds, order.Id, ct);
        }

        await stock.ReleaseAsync(lines.Select(l => new StockLine(l.ProductId, l.Quantity)).ToList(), ct);
        await session.Connection.ExecuteAsync(session.Command(MarkReleasedSql, new { OrderId = order.Id, Now = now }, ct));
        return true;
    }
}

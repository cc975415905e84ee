using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Dapper;

namespace Commerce.Modules.Orders;

/// <summary>The statements on existing orders several features share: lock, load, change status (a new order: <see cref="NewOrder"/>).</summary>
internal static class OrderStore
{
    // Settable properties rather than a positional record: Dapper matches constructors by exact column type, and
    // Npgsql reports the bigint[] column as System.Array.
    internal sealed record OrderRow
    {
        public long Id { get; init; }

        public long MemberId { get; init; }

        public string Status { get; init; } = "";

        public string Flow { get; init; } = "";

        public long Subtotal { get; init; }

        public long Discount { get; init; }

        public long Total { get; init; }

        public long? OrderCouponId { get; init; }

        public long OrderDiscount { get; init; }

        public long[] CouponIds { get; init; } = [];

        public DateTimeOffset? PaymentDeadline { get; init; }

        public DateTimeOffset? ReleasedAt { get; init; }

        public DateTimeOffset CreatedAt { get; init; }

        public DateTimeOffset? PaidAt { get; init; }
    }

    private const string Columns = """
        id, member_id, status, flow, subtotal, discount, total, order_coupon_id, order_discount, coupon_ids,
        payment_deadline, released_at, created_at, paid_at
        """;

    private const string FindSql = $"SELECT {Columns} FROM orders.orders WHERE id = @OrderId";

    private const string LockSql = $"{FindSql} FOR UPDATE";

    private const string ClaimDueSql = $"""
        SELECT {Columns} FROM orders.orders
        WHERE status = 'PENDING_PAYMENT' AND payment_deadline <= @Now
        ORDER BY payment_deadline
        LIMIT 1
        FOR UPDATE SKIP LOCKED
        """;

    private const string LinesSql = """
        SELECT product_id, product_name, quantity, unit_price, discount, coupon_id, amount
        FROM orders.order_lines WHERE order_id = @OrderId ORDER BY product_id
        """;

    private const string LatestPaymentSql = """
        SELECT id, method, status, amount, failure_code, failure_reason, created_at, completed_at
        FROM orders.payments WHERE order_id = @OrderId ORDER BY created_at DESC LIMIT 1
        """;

    private const string SetStatusSql = """
        UPDATE orders.orders SET status = @Status, updated_at = @Now, paid_at = coalesce(@PaidAt, paid_at) WHERE id = @OrderId
        """;

    /// <summary>The order row without a lock (reads); null when it does not exist.</summary>
    public static Task<OrderRow?> FindAsync(DbSession session, long orderId, CancellationToken ct) =>
        session.Connection.QuerySingleOrDefaultAsync<OrderRow>(session.Command(FindSql, new { OrderId = orderId }, ct));

    /// <summary>Locks one order whose payment deadline has passed (step 1 of the global lock order); null when none is due.</summary>
    public static Task<OrderRow?> ClaimDueAsync(DbSession session, DateTimeOffset now, CancellationToken ct) =>
        session.Connection.QuerySingleOrDefaultAsync<OrderRow>(session.Command(ClaimDueSql, new { Now = now }, ct));

    /// <summary>Locks the order row (step 1 of the global lock order); null when it does not exist.</summary>
    public static Task<OrderRow?> LockAsync(DbSession session, long orderId, CancellationToken ct) =>
        session.Connection.QuerySingleOrDefaultAsync<OrderRow>(session.Command(LockSql, new { OrderId = orderId }, ct));

    /// <summary>Locks the member's own order; another member's order is as missing as a nonexistent one (404).</summary>
    public static async Task<OrderRow> LockForMemberAsync(DbSession session, long orderId, long memberId, CancellationToken ct)
    {
        var order = await LockAsync(session, orderId, ct);
        return order is not null && order.MemberId == memberId ? order : throw NotFound(orderId);
    }

    public static AppException NotFound(long orderId) => AppException.NotFound(OrderErrors.OrderNotFound, $"Order {orderId} does not exist.").With("orderId", orderId);

    public static async Task<IReadOnlyList<OrderLineView>> LinesAsync(DbSession session, long orderId, CancellationToken ct) =>
        (await session.Connection.QueryAsync<OrderLineView>(session.Command(LinesSql, new { OrderId = orderId }, ct))).AsList();

    public static Task<PaymentView?> LatestPaymentAsync(DbSession session, long orderId, CancellationToken ct) =>
        session.Connection.QuerySingleOrDefaultAsync<PaymentView>(session.Command(LatestPaymentSql, new { OrderId = orderId }, ct));

    /// <summary>The whole order as the API shows it: row, lines and latest payment.</summary>
    public static async Task<OrderView> ViewAsync(DbSession session, OrderRow order, CancellationToken ct) =>
        View(order, await LinesAsync(session, order.Id, ct), await LatestPaymentAsync(session, order.Id, ct));

    public static OrderView View(OrderRow order, IReadOnlyList<OrderLineView> lines, PaymentView? payment) => new(
        order.Id, order.MemberId, order.Status, order.Flow, lines, order.Subtotal, order.Discount, order.Total,
        order.OrderCouponId, order.OrderDiscount, order.CouponIds, order.PaymentDeadline, order.CreatedAt, order.PaidAt, payment);

    public static async Task<OrderRow> SetStatusAsync(DbSession session, OrderRow order, string status, DateTimeOffset now, CancellationToken ct, DateTimeOffset? paidAt = null)
    {
        await session.Connection.ExecuteAsync(session.Command(SetStatusSql, new { OrderId = order.Id, Status = status, Now = now, PaidAt = paidAt }, ct));
        return order with { Status = status, PaidAt = paidAt ?? order.PaidAt };
    }
}

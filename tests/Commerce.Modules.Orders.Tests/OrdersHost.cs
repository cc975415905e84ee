using Commerce.Testing;

namespace Commerce.Modules.Orders.Tests;

/// <summary>The composition without HTTP, with a simulated gateway that answers at once.</summary>
public class OrdersHost : ModuleHost
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Commerce:PaymentGateway:Simulated:Latency"] = "00:00:00",
        ["Commerce:PaymentGateway:Simulated:DeclineAboveAmount"] = "900000",
    };

    public Task<long> Stock(long productId) => Sql.ScalarAsync<long>("SELECT stock FROM catalog.products WHERE id = @productId", new { productId });

    public Task<long> Balance(long memberId) => Sql.ScalarAsync<long>("SELECT coalesce((SELECT balance FROM points.wallets WHERE member_id = @memberId), 0)", new { memberId });

    public Task<string> CouponStatus(long couponId) => Sql.ScalarAsync<string>("SELECT status FROM coupons.issued_coupons WHERE id = @couponId", new { couponId });

    public Task<string> OrderStatus(long orderId) => Sql.ScalarAsync<string>("SELECT status FROM orders.orders WHERE id = @orderId", new { orderId });

    public Task<IReadOnlyList<string>> Events(long orderId) => Sql.QueryAsync<string>(
        "SELECT type FROM platform.outbox WHERE stream_id = @Stream ORDER BY seq", new { Stream = $"order-{orderId}" });

    public Task<IReadOnlyList<(string Type, long Amount)>> Ledger(long memberId) => Sql.QueryAsync<(string, long)>(
        "SELECT type, amount FROM points.ledger WHERE member_id = @memberId ORDER BY id", new { memberId });

    public Task<long> UnitsSold(long productId) => Sql.ScalarAsync<long>(
        "SELECT coalesce(sum(units), 0) FROM catalog.product_sales_daily WHERE product_id = @productId", new { productId });
}

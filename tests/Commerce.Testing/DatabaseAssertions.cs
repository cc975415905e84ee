using Dapper;
using Npgsql;

namespace Commerce.Testing;

/// <summary>Plain SQL against a test database, for arranging rows and asserting what a command left behind.</summary>
public sealed class Sql(string connectionString)
{
    public string ConnectionString { get; } = connectionString;

    public async Task<T> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        return (await connection.QueryAsync<T>(sql, parameters)).AsList();
    }

    public async Task<T> SingleAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        return await connection.QuerySingleAsync<T>(sql, parameters);
    }

    /// <summary>Wallets whose balance differs from the sum of their ledger: 0 whenever no point was lost or made up.</summary>
    public Task<long> WalletsOffTheirLedgerAsync() => ScalarAsync<long>("""
        SELECT count(*) FROM points.wallets w
        WHERE w.balance <> (SELECT coalesce(sum(amount), 0) FROM points.ledger l WHERE l.member_id = w.member_id)
        """);

    public Task<long> StockAsync(long productId) =>
        ScalarAsync<long>("SELECT stock FROM catalog.products WHERE id = @productId", new { productId });

    public Task<long> UnitsSoldAsync(long productId) =>
        ScalarAsync<long>("SELECT coalesce(sum(units), 0) FROM catalog.product_sales_daily WHERE product_id = @productId", new { productId });

    /// <summary>0 for a member who never had a wallet.</summary>
    public Task<long> BalanceAsync(long memberId) =>
        ScalarAsync<long>("SELECT coalesce((SELECT balance FROM points.wallets WHERE member_id = @memberId), 0)", new { memberId });

    public Task<IReadOnlyList<(string Type, long Amount)>> LedgerAsync(long memberId) =>
        QueryAsync<(string, long)>("SELECT type, amount FROM points.ledger WHERE member_id = @memberId ORDER BY id", new { memberId });

    public Task<string> CouponStatusAsync(long couponId) =>
        ScalarAsync<string>("SELECT status FROM coupons.issued_coupons WHERE id = @couponId", new { couponId });

    public Task<string> OrderStatusAsync(long orderId) =>
        ScalarAsync<string>("SELECT status FROM orders.orders WHERE id = @orderId", new { orderId });

    /// <summary>The types of the events the order's stream put in the outbox, in order.</summary>
    public Task<IReadOnlyList<string>> OrderEventsAsync(long orderId) =>
        QueryAsync<string>("SELECT type FROM platform.outbox WHERE stream_id = @Stream ORDER BY seq", new { Stream = $"order-{orderId}" });

    public async Task<int> ExecuteAsync(string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        return await connection.ExecuteAsync(sql, parameters);
    }
}

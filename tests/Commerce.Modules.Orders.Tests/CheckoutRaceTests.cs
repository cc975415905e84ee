using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Orders.Features.Checkout;
using Commerce.Testing;
using Npgsql;

namespace Commerce.Modules.Orders.Tests;

/// <summary>
/// Checkout prices the order from products read without a lock and takes their lock only in the COMMIT's round trip:
/// what changes in between is found under the lock. Each race is made deterministic by a transaction of the test's own
/// holding the product row until every checkout waits on it.
/// </summary>
public sealed class CheckoutRaceTests(OrdersHost host) : IClassFixture<OrdersHost>
{
    [Fact]
    public async Task A_price_changed_between_the_read_and_the_lock_is_sold_at_the_new_price_after_a_retry()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        await host.Services.ChargeAsync(member.Id, 100_000);
        var product = await host.Services.NewProductAsync(price: 1_000, stock: 5);

        // An admin's price change, not committed yet: the checkout reads the old price and then waits for the row.
        await using var admin = await RowHolder.StartAsync(host.Sql,
            "UPDATE catalog.products SET price = 1500 WHERE id = @Id", product.Id);
        var checkout = host.SendAsync(new Checkout(member.Id, [new(product.Id, 2)], []));
        await admin.WaitUntilBlockingAsync(1);
        await admin.CommitAsync();
        var order = await checkout;

        Assert.Equal((1_500L, 3_000L, 3_000L), (order.Lines.Single().UnitPrice, order.Subtotal, order.Total));
        Assert.Equal(97_000, await host.Sql.BalanceAsync(member.Id));
        Assert.Equal(3_000, await host.Sql.ScalarAsync<long>("SELECT total FROM orders.orders WHERE id = @Id", new { order.Id }));
        Assert.Equal(1_500, await host.Sql.ScalarAsync<long>("SELECT unit_price FROM orders.order_lines WHERE order_id = @Id", new { order.Id }));
        Assert.Equal((3L, 2L), (await host.Sql.StockAsync(product.Id), await host.Sql.UnitsSoldAsync(product.Id)));
    }

    [Fact]
    public async Task Two_buyers_of_the_last_unit_who_both_read_it_in_stock_get_one_sale_and_one_409_OUT_OF_STOCK()
    {
        var members = await TestMembers.InsertAsync(host.Sql, 2);
        foreach (var member in members)
        {
            await host.Services.ChargeAsync(member.Id, 10_000);
        }

        var product = await host.Services.NewProductAsync(price: 1_000, stock: 1);

        // Both read the one unit in stock, then queue on the row; the first to get it sells it.
        await using var holder = await RowHolder.StartAsync(host.Sql, "SELECT 1 FROM catalog.products WHERE id = @Id FOR UPDATE", product.Id);
        var checkouts = members.Select(m => Outcome(() => host.SendAsync(new Checkout(m.Id, [new(product.Id, 1)], [])))).ToList();
        await holder.WaitUntilBlockingAsync(2);
        await holder.CommitAsync();
        var outcomes = await Task.WhenAll(checkouts);

        Assert.Single(outcomes, o => o.Order is not null);
        var refused = Assert.Single(outcomes, o => o.Error is not null).Error!;
        Assert.Equal((409, "OUT_OF_STOCK", $"Product {product.Id} has 0 in stock; 1 were requested."), (refused.Status, refused.Code, refused.Message));
        Assert.Equal("productId, requested, available", string.Join(", ", refused.Extensions.Keys));
        Assert.Equal(new[] { product.Id, 1L, 0L }, refused.Extensions.Values.Select(Convert.ToInt64).ToArray());
        Assert.Equal((0L, 1L), (await host.Sql.StockAsync(product.Id), await host.Sql.UnitsSoldAsync(product.Id)));
        Assert.Equal(1, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.order_lines WHERE product_id = @Id", new { product.Id }));
        Assert.Equal(19_000, await host.Sql.ScalarAsync<long>("SELECT sum(balance) FROM points.wallets WHERE member_id = ANY(@Ids)",
            new { Ids = members.Select(m => m.Id).ToArray() }));
    }

    [Fact]
    public async Task A_product_discontinued_between_the_read_and_the_lock_is_409_PRODUCT_DISCONTINUED_and_changes_nothing()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        await host.Services.ChargeAsync(member.Id, 10_000);
        var product = await host.Services.NewProductAsync(price: 1_000, stock: 5);

        await using var admin = await RowHolder.StartAsync(host.Sql,
            "UPDATE catalog.products SET status = 'DISCONTINUED' WHERE id = @Id", product.Id);
        var checkout = Outcome(() => host.SendAsync(new Checkout(member.Id, [new(product.Id, 1)], [])));
        await admin.WaitUntilBlockingAsync(1);
        await admin.CommitAsync();
        var error = (await checkout).Error!;

        Assert.Equal((409, "PRODUCT_DISCONTINUED", $"Product {product.Id} is no longer on sale."), (error.Status, error.Code, error.Message));
        Assert.Equal(new[] { product.Id }, error.Extensions.Values.Select(Convert.ToInt64).ToArray());
        Assert.Equal((5L, 10_000L), (await host.Sql.StockAsync(product.Id), await host.Sql.BalanceAsync(member.Id)));
    }

    private static async Task<(OrderView? Order, AppException? Error)> Outcome(Func<Task<OrderView>> checkout)
    {
        try
        {
            return (await checkout(), null);
        }
        catch (AppException e)
        {
            return (null, e);
        }
    }
}

/// <summary>With one attempt per command, a stale read is not retried: the client gets what a deadlock answers then.</summary>
public sealed class SingleAttemptApp : OrdersApp
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Commerce:Database:MaxAttempts"] = "1",
    };
}

public sealed class CheckoutStaleReadTests(SingleAttemptApp app) : IClassFixture<SingleAttemptApp>
{
    [Fact]
    public async Task A_price_change_with_no_attempt_left_is_409_LOCK_TIMEOUT_retryable_like_a_deadlock_and_sells_nothing()
    {
        var member = (await TestMembers.InsertAsync(app.Sql, 1))[0];
        await app.Services.ChargeAsync(member.Id, 10_000);
        var product = await app.Services.NewProductAsync(price: 1_000, stock: 5);

        await using var admin = await RowHolder.StartAsync(app.Sql, "UPDATE catalog.products SET price = 1200 WHERE id = @Id", product.Id);
        using var client = app.ClientFor(member);
        var checkout = client.PostAsJsonAsync("/api/orders/checkout", new { items = new[] { new { productId = product.Id, quantity = 1 } } });
        await admin.WaitUntilBlockingAsync(1);
        await admin.CommitAsync();
        using var response = await checkout;
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(("LOCK_TIMEOUT", true), (problem.GetProperty("code").GetString(), problem.GetProperty("retryable").GetBoolean()));
        Assert.Equal((5L, 10_000L), (await app.Sql.StockAsync(product.Id), await app.Sql.BalanceAsync(member.Id)));
        Assert.Equal(0, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders WHERE member_id = @Id", new { member.Id }));
    }
}

/// <summary>A transaction of the test's own that holds a product row (locked by its one statement) until committed.</summary>
internal sealed class RowHolder : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly Sql _sql;

    private RowHolder(Sql sql, NpgsqlConnection connection, NpgsqlTransaction transaction) =>
        (_sql, _connection, _transaction) = (sql, connection, transaction);

    public static async Task<RowHolder> StartAsync(Sql sql, string statement, long productId)
    {
        var connection = new NpgsqlConnection(sql.ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand(statement, connection, transaction);
        command.Parameters.AddWithValue("Id", productId);
        await command.ExecuteNonQueryAsync();
        return new RowHolder(sql, connection, transaction);
    }

    // Behind the first waiter for a row, the others wait for it (the tuple lock it holds), not for the holder.
    private const string BlockedSql = """
        WITH RECURSIVE blocked (pid) AS (
            SELECT pid FROM pg_stat_activity WHERE @Pid = ANY(pg_blocking_pids(pid))
            UNION
            SELECT a.pid FROM pg_stat_activity a JOIN blocked b ON b.pid = ANY(pg_blocking_pids(a.pid))
        )
        SELECT count(*) FROM blocked
        """;

    /// <summary>Until <paramref name="count"/> other sessions wait, directly or behind one another, for a lock this one holds.</summary>
    public Task WaitUntilBlockingAsync(int count) => Eventually.TrueAsync(
        async () => await _sql.ScalarAsync<long>(BlockedSql, new { Pid = _connection.ProcessID }) >= count,
        TimeSpan.FromSeconds(20), $"{count} checkout(s) wait for the product row");

    public Task CommitAsync() => _transaction.CommitAsync();

    public async ValueTask DisposeAsync()
    {
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}

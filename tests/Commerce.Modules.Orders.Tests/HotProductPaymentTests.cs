using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Modules.Orders.Features.PlaceOrder;
using Commerce.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Commerce.Modules.Orders.Tests;

/// <summary>The host with a short lock timeout, so contention on a hot product shows within a test.</summary>
public sealed class HotProductApp : OrdersApp
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Commerce:Database:LockTimeout"] = "00:00:00.200",
    };
}

/// <summary>
/// Once the gateway approved, the order is PAID in that request whatever holds the product rows: recording the units
/// sold waits for them in a step of its own, and a lock timeout there only postpones it to the sweeper.
/// </summary>
public sealed class HotProductPaymentTests(HotProductApp app, ITestOutputHelper output) : IClassFixture<HotProductApp>
{
    [Fact]
    public async Task Payments_of_a_hot_product_are_paid_in_their_request_while_a_checkout_rush_and_a_held_lock_keep_its_row_busy()
    {
        const int Payers = 20;
        const int Rushers = 60;
        var product = await app.Services.NewProductAsync(price: 1_000, stock: 1_000);
        var members = await TestMembers.InsertAsync(app.Sql, Payers + Rushers);
        foreach (var member in members)
        {
            await app.Services.ChargeAsync(member.Id, 100_000);
        }

        var orders = new List<long>();
        for (var i = 0; i < Payers; i++)
        {
            orders.Add((await app.Services.SendAsync(new PlaceOrder(members[i].Id, [new(product.Id, 2)], []))).Id);
        }

        // Someone keeps the product row locked far past the lock timeout (an admin restock stuck behind a slow client,
        // say) while the payments complete and a checkout rush hammers the same row.
        await using var holder = new NpgsqlConnection(app.Sql.ConnectionString);
        await holder.OpenAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM catalog.products WHERE id = @id FOR UPDATE", holder, hold))
        {
            lockRow.Parameters.AddWithValue("id", product.Id);
            await lockRow.ExecuteScalarAsync();
        }

        var watch = Stopwatch.StartNew();
        var basket = new { items = new[] { new { productId = product.Id, quantity = 1 } } };
        var rush = Concurrently.RunAsync(Rushers, async i =>
        {
            using var client = app.ClientFor(members[Payers + i]);
            return (int)(await client.PostAsJsonAsync("/api/orders/checkout", basket)).StatusCode;
        });
        var payments = await Concurrently.RunAsync(Payers, async i =>
        {
            using var client = app.ClientFor(members[i]);
            using var response = await client.PostAsync($"/api/orders/{orders[i]}/payment", null);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            return ((int)response.StatusCode, body.TryGetProperty("order", out var paid) ? paid.GetProperty("status").GetString() : body.GetProperty("code").GetString());
        });
        var paidWhileHeldMs = watch.ElapsedMilliseconds;
        var pendingSalesWhileHeld = await app.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders WHERE sale_pending");
        await hold.RollbackAsync();
        var rushed = await rush;

        // The sweeper records the postponed sales once the row is free (it takes orders paid a second ago or more).
        await Eventually.TrueAsync(async () =>
        {
            app.Clock.Advance(TimeSpan.FromSeconds(1));
            return await app.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders WHERE sale_pending") == 0;
        }, TimeSpan.FromSeconds(20), "the sweeper records every postponed sale");
        var checkedOut = rushed.Count(s => s == 201);
        output.WriteLine($"{Payers} payments answered PAID in {paidWhileHeldMs} ms while the row was held ({pendingSalesWhileHeld} sales postponed); " +
                         $"checkout rush: {checkedOut} bought, {rushed.Count(s => s == 409)} refused with 409 (not charged)");

        Assert.All(payments, p => Assert.Equal((200, "PAID"), p));
        Assert.Equal(Payers, pendingSalesWhileHeld);
        Assert.All(rushed, s => Assert.True(s is 201 or 409, $"checkout answered {s}"));
        Assert.Equal(2 * Payers + checkedOut, await app.Sql.ScalarAsync<long>(
            "SELECT coalesce(sum(units), 0) FROM catalog.product_sales_daily WHERE product_id = @Id", new { product.Id }));
        Assert.Equal(1_000 - 2 * Payers - checkedOut, await app.Sql.StockAsync(product.Id));
        Assert.Equal(0, await app.Sql.WalletsOffTheirLedgerAsync());
    }
}

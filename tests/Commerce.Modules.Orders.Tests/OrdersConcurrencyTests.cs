using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Commerce.Testing;
using Xunit.Abstractions;

namespace Commerce.Modules.Orders.Tests;

/// <summary>Real HTTP requests racing on the real database; every claim is an exact count.</summary>
[StartFirst]
public sealed class OrdersConcurrencyTests(OrdersApp app, ITestOutputHelper output) : IClassFixture<OrdersApp>
{
    private static async Task<(int Status, string? Code, JsonObject? Body)> ReadAsync(HttpResponseMessage response)
    {
        var body = response.Content.Headers.ContentLength == 0 ? null : await response.Content.ReadFromJsonAsync<JsonObject>();
        return ((int)response.StatusCode, body?["code"]?.GetValue<string>(), body);
    }

    [Fact]
    public async Task Three_hundred_members_racing_for_a_hundred_units_sell_exactly_a_hundred_and_lose_nothing()
    {
        var product = await app.Services.NewProductAsync(price: 1_000, stock: 100);
        var campaign = await app.Services.NewCampaignAsync(app.Clock.GetUtcNow(), value: 100);
        var members = await TestMembers.InsertAsync(app.Sql, 300);
        foreach (var (member, i) in members.Select((m, i) => (m, i)))
        {
            // 200 can pay; 100 can place an order but not pay for it.
            await app.Services.ChargeAsync(member.Id, i < 200 ? 100_000 : 500);
            await app.Services.IssueCouponAsync(member.Id, campaign.Id);
        }

        var basket = new { items = new[] { new { productId = product.Id, quantity = 1 } } };
        var watch = Stopwatch.StartNew();
        var outcomes = await Concurrently.RunAsync(members.Count, async i =>
        {
            using var client = app.ClientFor(members[i]);
            if (i < 200 && i % 2 == 0)
            {
                return new[] { await ReadAsync(await client.PostAsJsonAsync("/api/orders/checkout", basket)) };
            }

            var placed = await ReadAsync(await client.PostAsJsonAsync("/api/orders", basket));
            if (placed.Status != 201)
            {
                return [placed];
            }

            var orderId = placed.Body!["id"]!.GetValue<long>();
            var next = i % 7 == 0
                ? await ReadAsync(await client.PostAsync($"/api/orders/{orderId}/cancel", null))
                : await ReadAsync(await client.PostAsync($"/api/orders/{orderId}/payment", null));
            return [placed, next];
        });
        var raceTime = watch.Elapsed;

        // Stock that failed or cancelled orders gave back goes to whoever buys next.
        var buyer = app.ClientFor(members[1]);
        while (await app.Sql.StockAsync(product.Id) > 0)
        {
            Assert.Equal(201, (await ReadAsync(await buyer.PostAsJsonAsync("/api/orders/checkout", new { items = basket.items, couponIds = Array.Empty<long>() }))).Status);
        }

        var responses = outcomes.SelectMany(o => o).ToList();
        output.WriteLine($"{responses.Count} requests in {raceTime.TotalMilliseconds:0} ms: " +
                         string.Join(", ", responses.GroupBy(r => $"{r.Status} {r.Code}".Trim()).OrderBy(g => g.Key).Select(g => $"{g.Key} × {g.Count()}")));
        Assert.All(responses, r => Assert.True(r.Status is 200 or 201 or 409, $"unexpected {r.Status} {r.Code}"));
        Assert.All(responses.Where(r => r.Status == 409), r => Assert.True(r.Code is "OUT_OF_STOCK" or "INSUFFICIENT_POINTS", r.Code));

        Assert.Equal(0, await app.Sql.StockAsync(product.Id));
        Assert.Equal(100, await app.Sql.ScalarAsync<long>("""
            SELECT coalesce(sum(l.quantity), 0) FROM orders.order_lines l JOIN orders.orders o ON o.id = l.order_id
            WHERE o.status = 'PAID' AND l.product_id = @Id
            """, new { product.Id }));
        Assert.Equal(100, await app.Sql.ScalarAsync<long>("SELECT sum(units) FROM catalog.product_sales_daily WHERE product_id = @Id", new { product.Id }));
        Assert.Equal(0, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders WHERE status IN ('PENDING_PAYMENT', 'PAYING')"));
        Assert.Equal(0, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders WHERE status <> 'PAID' AND released_at IS NULL"));
        Assert.Equal(0, await app.Sql.ScalarAsync<long>("""
            SELECT count(*) FROM coupons.issued_coupons c LEFT JOIN orders.orders o ON o.id = c.order_id
            WHERE (c.status = 'USED') <> (o.status IS NOT DISTINCT FROM 'PAID')
            """));
        Assert.Equal(0, await app.Sql.ScalarAsync<long>("""
            SELECT count(*) FROM points.wallets w
            WHERE w.balance <> (SELECT sum(amount) FROM points.ledger l WHERE l.member_id = w.member_id)
            """));
        Assert.Equal(0, await app.Sql.ScalarAsync<long>("""
            SELECT count(*) FROM points.wallets w
            WHERE w.balance <> (SELECT sum(amount) FROM points.ledger l WHERE l.member_id = w.member_id AND l.type = 'CHARGE')
                              - coalesce((SELECT sum(o.total) FROM orders.orders o WHERE o.member_id = w.member_id AND o.status = 'PAID'), 0)
            """));
    }

    [Fact]
    public async Task One_coupon_used_by_ten_orders_at_once_goes_to_exactly_one()
    {
        var member = await app.NewMemberAsync();
        var product = await app.Services.NewProductAsync(price: 5_000, stock: 100);
        var coupon = await app.Services.IssueCouponAsync(member.Id, (await app.Services.NewCampaignAsync(app.Clock.GetUtcNow(), value: 1_000)).Id);
        var client = app.ClientFor(member);

        var outcomes = await Concurrently.RunAsync(10, async _ => await ReadAsync(
            await client.PostAsJsonAsync("/api/orders", new { items = new[] { new { productId = product.Id, quantity = 1 } }, couponIds = new[] { coupon } })));

        Assert.Equal(1, outcomes.Count(o => o.Status == 201));
        Assert.Equal(9, outcomes.Count(o => o is { Status: 422, Code: "COUPON_NOT_USABLE" }));
        Assert.Equal(99, await app.Sql.StockAsync(product.Id));
        Assert.Equal(1, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders WHERE member_id = @Id", new { member.Id }));
    }
}

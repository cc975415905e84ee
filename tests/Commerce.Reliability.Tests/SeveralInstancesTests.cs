using System.Diagnostics;
using Commerce.Testing;

namespace Commerce.Reliability.Tests;

/// <summary>
/// A flash sale over three instances on one database: every invariant the product keeps inside one process must
/// hold across processes, since all of them rest on row locks and constraints in PostgreSQL, not on memory.
/// </summary>
public sealed class SeveralInstancesTests(ThreeInstances shop, ITestOutputHelper output) : IClassFixture<ThreeInstances>
{
    private SharedDatabase Database => shop.Database;

    private Sql Sql => shop.Database.Sql;

    [Fact]
    public async Task A_coupon_rush_over_three_instances_issues_exactly_the_limit_once_per_member()
    {
        var campaign = await Database.Services.NewCampaignAsync(DateTimeOffset.UtcNow, quantity: 60);
        var members = await Database.ShoppersAsync(300);

        // Every instance serves a claim path first: a cold instance spends its first second compiling, and the rush
        // would be over before it took part. The assertions hold either way; the warm-up makes the race a real one
        // across instances (the output line shows how the coupons spread).
        var warmUp = await Database.Services.NewCampaignAsync(DateTimeOffset.UtcNow, quantity: 300);
        await Concurrently.RunAsync(30, i => shop.Client(i).PostReplyAsync($"/api/coupons/{warmUp.Id}/issue", members[i].Token));

        var started = Stopwatch.GetTimestamp();
        var replies = await Concurrently.RunAsync(members.Count, i =>
            shop.Client(i).PostReplyAsync($"/api/coupons/{campaign.Id}/issue", members[i].Token));
        var elapsed = Stopwatch.GetElapsedTime(started);

        // A claim that waited longer than the lock timeout is told to retry (409 LOCK_TIMEOUT); the rest got a coupon
        // or COUPON_SOLD_OUT. Either way, exactly the limit is issued.
        Assert.Equal(60, replies.Count(r => r.Status == 201));
        Assert.All(replies.Where(r => r.Status != 201), r => Assert.Contains((r.Status, r.Code), new (int, string?)[] { (409, "COUPON_SOLD_OUT"), (409, "LOCK_TIMEOUT") }));
        Assert.Equal(60, await Sql.ScalarAsync<int>("SELECT issued_count FROM coupons.campaigns WHERE id = @Id", new { campaign.Id }));
        Assert.Equal(60, await Sql.ScalarAsync<long>("SELECT count(DISTINCT member_id) FROM coupons.issued_coupons WHERE campaign_id = @Id", new { campaign.Id }));
        Assert.Equal(60, await Sql.ScalarAsync<long>("SELECT count(*) FROM coupons.issued_coupons WHERE campaign_id = @Id", new { campaign.Id }));
        output.WriteLine($"300 claims for 60 coupons over 3 instances in {elapsed.TotalMilliseconds:0} ms ({replies.Count(r => r.Code == "LOCK_TIMEOUT")} LOCK_TIMEOUT); issued per instance: " +
                         string.Join(", ", Enumerable.Range(0, 3).Select(h => replies.Where((r, i) => i % 3 == h).Count(r => r.Status == 201))) +
                         "; answers per instance: " + string.Join(" | ", Enumerable.Range(0, 3).Select(h => string.Join(", ",
                             replies.Where((r, i) => i % 3 == h).GroupBy(r => r.Code ?? r.Status.ToString()).Select(g => $"{g.Key} ×{g.Count()}")))));
        await AssertDeliveredAsync();
    }

    [Fact]
    public async Task A_hot_product_checked_out_over_three_instances_sells_its_stock_exactly_and_balances_equal_ledgers()
    {
        var product = await Database.Services.NewProductAsync(price: 10_000, stock: 50);
        var buyers = await Database.ShoppersAsync(150, points: 20_000);

        var started = Stopwatch.GetTimestamp();
        var replies = await Concurrently.RunAsync(buyers.Count, i => shop.Client(i).PostReplyAsync("/api/orders/checkout", buyers[i].Token,
            new { items = new[] { new { productId = product.Id, quantity = 1 } }, couponIds = Array.Empty<long>() }));
        var elapsed = Stopwatch.GetElapsedTime(started);

        // A buyer who waited longer than the lock timeout is told to retry (409 LOCK_TIMEOUT); the others get the
        // stock or OUT_OF_STOCK. Either way, exactly the stock is sold.
        Assert.Equal(50, replies.Count(r => r.Status == 201));
        Assert.All(replies.Where(r => r.Status != 201), r => Assert.Contains((r.Status, r.Code), new (int, string?)[] { (409, "OUT_OF_STOCK"), (409, "LOCK_TIMEOUT") }));
        Assert.Equal(0, await Sql.ScalarAsync<int>("SELECT stock FROM catalog.products WHERE id = @Id", new { product.Id }));
        Assert.Equal(50, await Sql.ScalarAsync<long>("SELECT coalesce(sum(units), 0) FROM catalog.product_sales_daily WHERE product_id = @Id", new { product.Id }));
        Assert.Equal(50, await Sql.ScalarAsync<long>(
            "SELECT count(*) FROM orders.orders o JOIN orders.order_lines l ON l.order_id = o.id WHERE l.product_id = @Id AND o.status = 'PAID'", new { product.Id }));

        var ids = buyers.Select(b => b.Id).ToArray();
        Assert.Equal(150 * 20_000L - 50 * 10_000L, await Sql.ScalarAsync<long>("SELECT sum(balance) FROM points.wallets WHERE member_id = ANY(@Ids)", new { Ids = ids }));
        Assert.Equal(0, await Sql.WalletsOffTheirLedgerAsync());
        output.WriteLine($"150 checkouts for 50 units over 3 instances in {elapsed.TotalMilliseconds:0} ms: " +
                         $"{replies.Count(r => r.Code == "OUT_OF_STOCK")} OUT_OF_STOCK, {replies.Count(r => r.Code == "LOCK_TIMEOUT")} LOCK_TIMEOUT");
        await AssertDeliveredAsync();
    }

    [Fact]
    public async Task Orders_left_unpaid_expire_exactly_once_while_three_instances_race_to_expire_them()
    {
        var product = await Database.Services.NewProductAsync(price: 10_000, stock: 30);
        var campaign = await Database.Services.NewCampaignAsync(DateTimeOffset.UtcNow, quantity: 30);
        var members = await Database.ShoppersAsync(30);
        var coupons = new List<long>();
        foreach (var member in members)
        {
            coupons.Add(await Database.Services.IssueCouponAsync(member.Id, campaign.Id));
        }

        var placed = await Concurrently.RunAsync(members.Count, i => shop.Client(i).PostReplyAsync("/api/orders", members[i].Token,
            new { items = new[] { new { productId = product.Id, quantity = 1 } }, couponIds = new[] { coupons[i] } }));
        Assert.All(placed, r => Assert.Equal((201, "PENDING_PAYMENT"), (r.Status, r.Body!["status"]!.GetValue<string>())));

        var orderIds = placed.Select(r => r.Id).ToArray();
        await Eventually.TrueAsync(
            async () => await Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders WHERE id = ANY(@Ids) AND status = 'EXPIRED'", new { Ids = orderIds }) == 30,
            TimeSpan.FromSeconds(30), "every unpaid order expires");

        // Stock and coupons came back exactly once: twice would show as 60 units or a second OrderExpired event.
        Assert.Equal(30, await Sql.ScalarAsync<int>("SELECT stock FROM catalog.products WHERE id = @Id", new { product.Id }));
        Assert.Equal(30, await Sql.ScalarAsync<long>(
            "SELECT count(*) FROM coupons.issued_coupons WHERE id = ANY(@Ids) AND status = 'AVAILABLE' AND order_id IS NULL", new { Ids = coupons.ToArray() }));
        Assert.Equal(30, await Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders WHERE id = ANY(@Ids) AND released_at IS NOT NULL", new { Ids = orderIds }));
        var expiredEvents = await Sql.QueryAsync<(string StreamId, long Count)>(
            "SELECT stream_id, count(*) FROM platform.outbox WHERE type = 'OrderExpired' AND stream_id = ANY(@Streams) GROUP BY stream_id",
            new { Streams = orderIds.Select(id => $"order-{id}").ToArray() });
        Assert.Equal(30, expiredEvents.Count);
        Assert.All(expiredEvents, e => Assert.Equal(1, e.Count));

        await AssertDeliveredAsync();
        var delivered = shop.Platform.Requests.Where(r => r.Acknowledged && r.Event.Type == "OrderExpired").Select(r => r.Event).ToList();
        Assert.All(orderIds, id => Assert.Single(delivered.Where(e => e.StreamId == $"order-{id}").Select(e => e.EventId).Distinct()));
    }

    private async Task AssertDeliveredAsync()
    {
        var figures = await Deliveries.AssertEveryEventDeliveredAsync(Sql, shop.Platform, exactlyOnce: true);
        output.WriteLine($"Outbox over 3 relays so far: {figures}");
        Assert.All(shop.Hosts, h => Assert.False(h.HasExited));
    }
}

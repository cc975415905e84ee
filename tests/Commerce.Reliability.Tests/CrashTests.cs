using System.Diagnostics;
using Commerce.Testing;

namespace Commerce.Reliability.Tests;

/// <summary>
/// kill -9 of a host in the middle of PayOrder traffic with a slow gateway, then another host on the same database.
/// PayOrder takes the points and marks the order PAYING before it calls the gateway, and the gateway's idempotency
/// key is the payment id: whatever the kill interrupted, the reconciler of the next host can find out and finish it.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output) : IDisposable
{
    private const long Points = 50_000;
    private const long OrderTotal = 20_000;
    private const int Stock = 100;
    private readonly string _dataDirectory = Instances.TemporaryDirectory("crash");

    private sealed record OrderRow(long Id, long MemberId, string Status, DateTimeOffset? ReleasedAt);

    private sealed record PaymentRow(Guid Id, long OrderId, string Status);

    [Fact]
    public async Task A_host_killed_mid_payment_is_finished_by_the_next_host_the_gateway_agrees_with_the_orders_and_no_event_is_lost()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync();
        await using var platform = await FakeDataPlatform.StartAsync();
        await using var gateway = await FakePaymentGateway.StartAsync();
        var settings = Instances.Settings(connectionString, platform, _dataDirectory).With(
            ("Commerce__PaymentGateway__Url", gateway.Url.ToString()),
            ("Commerce__PaymentGateway__Timeout", "00:00:02"),
            ("Commerce__Orders__ReconcileAfter", "00:00:03"),
            ("Commerce__Orders__ReconcileMaxBackoff", "00:00:01"),
            ("Commerce__Orders__ReleaseSweepAfter", "00:00:01"),
            ("Commerce__Orders__ReleaseSweepInterval", "00:00:00.500"));
        // The first host reconciles only once, at start (an hour between runs), and waits longer for the gateway than
        // the test takes to kill it: every payment it leaves PAYING is the next host's to finish. (Its ReconcileAfter
        // must exceed its gateway timeout; the next host's checks of those payments are due that long after they began.)
        await using var first = await HostProcess.StartAsync(settings.With(
            ("Commerce__Orders__ReconcileInterval", "01:00:00"),
            ("Commerce__PaymentGateway__Timeout", "00:00:08"),
            ("Commerce__Orders__ReconcileAfter", "00:00:09")));
        await using var database = SharedDatabase.For(connectionString);
        var product = await database.Services.NewProductAsync(price: OrderTotal / 2, stock: Stock);
        var members = await database.ShoppersAsync(40, Points);
        using var client = first.CreateClient();
        var placed = await Concurrently.RunAsync(members.Count, i => client.PostReplyAsync("/api/orders", members[i].Token,
            new { items = new[] { new { productId = product.Id, quantity = 2 } }, couponIds = Array.Empty<long>() }));
        Assert.All(placed, r => Assert.Equal(201, r.Status));
        var orders = placed.Select(r => r.Id).ToArray();
        Task<Reply> Pay(int i) => client.PostReplyAsync($"/api/orders/{orders[i]}/payment", members[i].Token);

        // Orders 0-9 are paid while the gateway answers at once; 10-19 are charged by the gateway, which then stays
        // silent; 20-29 are still being thought about by the gateway; 30-39 are on their way when the host dies.
        platform.Latency = TimeSpan.FromMilliseconds(100);
        var paidAtOnce = await Task.WhenAll(Enumerable.Range(0, 10).Select(Pay));
        Assert.All(paidAtOnce, r => Assert.Equal(200, r.Status));
        gateway.Delay = TimeSpan.FromMinutes(1);
        gateway.Behaviour = FakePaymentGateway.Mode.TimeoutAfterCharge;
        var interrupted = Enumerable.Range(10, 10).Select(Pay).ToList();
        await WaitForApproveCallsAsync(gateway, 20);
        gateway.Behaviour = FakePaymentGateway.Mode.Slow;
        interrupted.AddRange(Enumerable.Range(20, 10).Select(Pay));
        await WaitForApproveCallsAsync(gateway, 30);
        interrupted.AddRange(Enumerable.Range(30, 10).Select(Pay));
        await WaitForApproveCallsAsync(gateway, 31);

        await first.KillAsync();
        var payingAtKill = await database.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders WHERE status = 'PAYING'");
        Assert.All(await Task.WhenAll(interrupted), r => Assert.Equal(0, r.Status));
        Assert.True(payingAtKill >= 21, $"only {payingAtKill} orders were PAYING when the host died");

        // From now on the gateway declines what it has not charged yet: the reconciler must refund those points.
        gateway.Behaviour = FakePaymentGateway.Mode.Decline;
        platform.Latency = TimeSpan.Zero;
        var restarted = Stopwatch.GetTimestamp();
        await using var second = await HostProcess.StartAsync(settings.With(("Commerce__Orders__ReconcileInterval", "00:00:00.250")));
        await Eventually.TrueAsync(async () => await database.Sql.ScalarAsync<long>("""
            SELECT count(*) FROM orders.orders
            WHERE status = 'PAYING' OR (status = 'PAYMENT_FAILED' AND released_at IS NULL)
            """) == 0, TimeSpan.FromSeconds(30), "the next host finishes every interrupted payment and release");
        var finishedMs = Stopwatch.GetElapsedTime(restarted).TotalMilliseconds;
        var figures = await Deliveries.AssertEveryEventDeliveredAsync(database.Sql, platform, exactlyOnce: false);

        var status = (await database.Sql.QueryAsync<OrderRow>(
            "SELECT id, member_id, status, released_at FROM orders.orders WHERE id = ANY(@Ids)", new { Ids = orders })).ToDictionary(o => o.Id);
        Assert.All(orders[..20], id => Assert.Equal("PAID", status[id].Status));
        Assert.All(orders[20..30], id => Assert.Equal("PAYMENT_FAILED", status[id].Status));
        Assert.All(orders[30..], id => Assert.True(status[id].Status is "PENDING_PAYMENT" or "PAYMENT_FAILED", status[id].Status));

        await AssertGatewayAgreesAsync(database.Sql, gateway, status);
        await AssertPointsAndStockAddUpAsync(database.Sql, product.Id, members, status);
        AssertEveryOrderEventReachedThePlatform(platform, status.Values);
        output.WriteLine($"kill -9 with {payingAtKill} orders PAYING; the next host (start-up included) finished them in {finishedMs:0} ms: " +
                         $"{status.Values.Count(o => o.Status == "PAID")} PAID, {status.Values.Count(o => o.Status == "PAYMENT_FAILED")} PAYMENT_FAILED " +
                         $"(points refunded), {status.Values.Count(o => o.Status == "PENDING_PAYMENT")} never reached; {figures}");
    }

    private static Task WaitForApproveCallsAsync(FakePaymentGateway gateway, int calls) =>
        Eventually.TrueAsync(() => Task.FromResult(gateway.ApproveCalls >= calls), TimeSpan.FromSeconds(30), $"{calls} calls reach the gateway");

    /// <summary>Charged by the gateway if and only if PAID; declined there if and only if declined here; never two charges for one order.</summary>
    private static async Task AssertGatewayAgreesAsync(Sql sql, FakePaymentGateway gateway, IReadOnlyDictionary<long, OrderRow> orders)
    {
        var payments = (await sql.QueryAsync<PaymentRow>("SELECT id, order_id, status FROM orders.payments WHERE method = 'GATEWAY'")).ToDictionary(p => p.Id);
        Assert.All(gateway.Charges.Keys, id => Assert.True(payments.ContainsKey(id), $"the gateway charged payment {id}, which we do not know"));
        Assert.All(payments.Values, p =>
        {
            var atGateway = gateway.Charges.GetValueOrDefault(p.Id);
            Assert.Equal(atGateway == "APPROVED", p.Status == "APPROVED");
            Assert.Equal(atGateway == "APPROVED", orders[p.OrderId].Status == "PAID");
            Assert.Equal(atGateway == "DECLINED", p.Status == "DECLINED");
        });
        Assert.All(payments.Values.Where(p => gateway.Charges.GetValueOrDefault(p.Id) == "APPROVED").GroupBy(p => p.OrderId), g => Assert.Single(g));
        Assert.DoesNotContain(payments.Values, p => p.Status == "PENDING");
    }

    private static async Task AssertPointsAndStockAddUpAsync(Sql sql, long productId, IReadOnlyList<Shopper> members, IReadOnlyDictionary<long, OrderRow> orders)
    {
        var balances = (await sql.QueryAsync<(long MemberId, long Balance, long Ledger, long Refunded)>("""
            SELECT w.member_id, w.balance,
                   (SELECT coalesce(sum(amount), 0) FROM points.ledger l WHERE l.member_id = w.member_id),
                   (SELECT coalesce(sum(amount), 0) FROM points.ledger l WHERE l.member_id = w.member_id AND l.type = 'REFUND')
            FROM points.wallets w WHERE w.member_id = ANY(@Ids)
            """, new { Ids = members.Select(m => m.Id).ToArray() })).ToDictionary(b => b.MemberId);
        foreach (var order in orders.Values)
        {
            var wallet = balances[order.MemberId];
            Assert.Equal(wallet.Ledger, wallet.Balance);
            Assert.Equal(order.Status == "PAID" ? Points - OrderTotal : Points, wallet.Balance);
            Assert.Equal(order.Status == "PAYMENT_FAILED" && await PaidPointsAsync(sql, order.Id) ? OrderTotal : 0, wallet.Refunded);
        }

        // Stock is held by PAID and PENDING_PAYMENT orders only: every failed order gave its units back, once.
        var holding = orders.Values.Count(o => o.Status is "PAID" or "PENDING_PAYMENT");
        Assert.Equal(Stock - 2 * holding, await sql.ScalarAsync<int>("SELECT stock FROM catalog.products WHERE id = @productId", new { productId }));
        Assert.Equal(2 * orders.Values.Count(o => o.Status == "PAID"),
            await sql.ScalarAsync<long>("SELECT coalesce(sum(units), 0) FROM catalog.product_sales_daily WHERE product_id = @productId", new { productId }));
        Assert.All(orders.Values.Where(o => o.Status == "PAYMENT_FAILED"), o => Assert.NotNull(o.ReleasedAt));
    }

    /// <summary>Whether the order's points were taken at all (an order that failed before the wallet step has nothing to refund).</summary>
    private static async Task<bool> PaidPointsAsync(Sql sql, long orderId) =>
        await sql.ScalarAsync<long>("SELECT count(*) FROM points.ledger WHERE reference = @Reference AND type = 'USE'", new { Reference = $"order-{orderId}" }) > 0;

    private static void AssertEveryOrderEventReachedThePlatform(FakeDataPlatform platform, IEnumerable<OrderRow> orders)
    {
        var delivered = platform.Requests.Where(r => r.Acknowledged).GroupBy(r => r.Event.StreamId)
            .ToDictionary(g => g.Key, g => g.Select(r => r.Event.Type).Distinct().Order().ToArray());
        foreach (var order in orders)
        {
            string[] expected = order.Status switch
            {
                "PAID" => ["OrderPaid", "OrderPaying", "OrderPlaced"],
                "PAYMENT_FAILED" => ["OrderPaying", "OrderPaymentFailed", "OrderPlaced", "OrderReleased"],
                _ => ["OrderPlaced"],
            };
            Assert.Equal(expected, delivered.GetValueOrDefault($"order-{order.Id}"));
        }
    }

    public void Dispose() => Instances.TryDelete(_dataDirectory);
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Commerce.BuildingBlocks.Hosting;
using Commerce.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Commerce.Reliability.Tests;

/// <summary>
/// The database goes away under load and comes back on the same address (a restart, a failover): the host must
/// answer every request during the outage quickly with a 503 the client can act on, keep its background work
/// alive, and serve again by itself once the database is back, without a restart of its own.
/// </summary>
public sealed class DatabaseRestartTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan FailFast = TimeSpan.FromSeconds(2);

    // Requests that straddle the stop or the start, and those of a loaded CI machine, get more room; a hang does not.
    private static readonly TimeSpan NoHang = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(5);
    private readonly string _directory = Instances.TemporaryDirectory("restart");

    private sealed record Sent(string Operation, Reply Reply);

    [Fact]
    public async Task While_the_database_restarts_requests_fail_fast_with_503_and_the_host_recovers_by_itself_within_5_seconds()
    {
        // A throwaway cluster (no fsync: the machine does not crash here), but with synchronous commits: an immediate
        // stop loses PostgreSQL's memory, and with it any commit not yet in the WAL, which would make an order the
        // host acknowledged vanish for reasons that have nothing to do with the host.
        var options = new EmbeddedPostgresOptions
        {
            DataDirectory = Path.Combine(_directory, "pg"),
            Durable = false,
            Settings = new Dictionary<string, string> { ["synchronous_commit"] = "on" },
            Port = FreeLoopbackPort(),
        };
        var server = await EmbeddedPostgres.StartAsync(options, NullLogger.Instance);
        try
        {
            await using var platform = await FakeDataPlatform.StartAsync();
            await using var host = await HostProcess.StartAsync(Instances.Settings(server.ConnectionString, platform, _directory).With(
                ("Commerce__Orders__PaymentDeadline", "00:00:03"),
                ("Commerce__Orders__ExpiryInterval", "00:00:00.500")));
            await using var database = SharedDatabase.For(server.ConnectionString);
            var product = await database.Services.NewProductAsync(price: 1_000, stock: 10_000);
            var campaign = await database.Services.NewCampaignAsync(DateTimeOffset.UtcNow, quantity: 1_000);
            var members = await database.ShoppersAsync(8, points: 1_000_000);
            using var client = host.CreateClient();

            using var stop = new CancellationTokenSource();
            var sent = new ConcurrentBag<Sent>();
            var load = Enumerable.Range(0, 6).Select(worker => Task.Run(async () =>
            {
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    sent.Add(await SendOneAsync(client, (worker + n) % 6, members[(worker + n) % members.Count], product.Id, campaign.Id));
                    await Task.Delay(20);
                }
            })).ToArray();

            await Task.Delay(TimeSpan.FromSeconds(2));
            // An order whose payment deadline passes while the database is away: the expiry job must still expire it.
            var unpaid = await client.PostReplyAsync("/api/orders", members[0].Token, Basket(product.Id));
            Assert.Equal(201, unpaid.Status);

            await server.StopImmediatelyAsync();
            var stopped = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromSeconds(1));
            var ready = await client.GetReplyAsync("/health/ready");
            var live = await client.GetReplyAsync("/health/live");
            await Task.Delay(TimeSpan.FromSeconds(3));

            var starting = Stopwatch.GetTimestamp();
            await server.DisposeAsync();
            server = await EmbeddedPostgres.StartAsync(options, NullLogger.Instance);
            var back = Stopwatch.GetTimestamp();
            // The test's own pooled connections (Sql) broke with the server; the host's must recover by themselves.
            NpgsqlConnection.ClearAllPools();
            await Task.Delay(TimeSpan.FromSeconds(7));
            await stop.CancelAsync();
            await Task.WhenAll(load);

            var all = sent.OrderBy(s => s.Reply.StartedAt).ToList();
            var outage = all.Where(s => s.Reply.StartedAt > stopped && s.Reply.EndedAt < starting).ToList();
            // Served: a success, or the business answer a healthy host gives (a member's second coupon claim is 409).
            var failures = all.Where(s => s.Reply.Status is < 200 or >= 500).ToList();
            var lastFailure = failures.Count == 0 ? back : failures.Max(s => s.Reply.EndedAt);
            var recovery = lastFailure > back ? Stopwatch.GetElapsedTime(back, lastFailure) : TimeSpan.Zero;
            var outageMs = outage.Select(s => s.Reply.Elapsed.TotalMilliseconds).Order().ToArray();
            var firstSuccess = all.FirstOrDefault(s => s.Reply.StartedAt > starting && !failures.Contains(s))?.Reply.EndedAt ?? back;
            var slowest = all.MaxBy(s => s.Reply.Elapsed)!;
            output.WriteLine($"{all.Count} requests; {outage.Count} during the outage, all 503 in p50 {Deliveries.Percentile(outageMs, 0.5):0} ms, max {outageMs.LastOrDefault():0} ms; " +
                             $"/health/ready during the outage: {ready}. The database took {Stopwatch.GetElapsedTime(starting, back).TotalMilliseconds:0} ms to start " +
                             $"(crash recovery included); the first success came {Stopwatch.GetElapsedTime(starting, firstSuccess).TotalMilliseconds:0} ms after the start " +
                             $"began; {failures.Count(s => s.Reply.StartedAt > back)} failures after the start returned (the last ended {recovery.TotalMilliseconds:0} ms after it). " +
                             $"Slowest request: {slowest.Operation} {slowest.Reply}, {Stopwatch.GetElapsedTime(stopped, slowest.Reply.StartedAt).TotalMilliseconds:0} ms after the stop.");

            // Never a 500, never a hang: every answer is a success or a 503 problem the client can retry after a while.
            Assert.All(failures, s => Assert.True(
                s.Reply is { Status: 503, IsProblem: true, Code: "DATABASE_UNAVAILABLE", RetryAfter: not null },
                $"{s.Operation}: {s.Reply} ({s.Reply.ContentType}, Retry-After {s.Reply.RetryAfter})"));
            Assert.All(all, s => Assert.True(s.Reply.Elapsed < NoHang, $"{s.Operation} took {s.Reply.Elapsed.TotalMilliseconds:0} ms"));
            Assert.True(outage.Count >= 20, $"only {outage.Count} requests fell inside the outage");
            Assert.All(outage, s => Assert.True(s.Reply.Status == 503 && s.Reply.Elapsed < FailFast, $"{s.Operation} during the outage: {s.Reply}"));
            Assert.True(recovery <= RecoveryLimit, $"the host still failed {recovery.TotalMilliseconds:0} ms after the database was back");
            Assert.True(all.Count(s => s.Reply.StartedAt > lastFailure && s.Reply.IsSuccess) >= 20, "the host serves again after the outage");
            Assert.All(all.Where(s => !s.Reply.IsSuccess && !failures.Contains(s)),
                s => Assert.Equal(("claim coupon", 409, "COUPON_ALREADY_ISSUED"), (s.Operation, s.Reply.Status, s.Reply.Code)));
            Assert.Equal((503, 200), (ready.Status, live.Status));
            Assert.True(ready.Elapsed < FailFast + FailFast, $"/health/ready took {ready.Elapsed.TotalMilliseconds:0} ms during the outage");

            // The background work lived through it: the relay delivers every event committed before and after the
            // outage, the expiry job expires the order whose deadline passed meanwhile, and the host never went down.
            Assert.Equal(200, (await client.GetReplyAsync("/health/ready")).Status);
            await Eventually.TrueAsync(
                async () => await database.Sql.ScalarAsync<string>("SELECT status FROM orders.orders WHERE id = @Id", new { unpaid.Id }) == "EXPIRED",
                TimeSpan.FromSeconds(10), "the expiry job expires the order whose deadline passed during the outage");
            // The load's own placed orders expire up to 3 s after it stopped, each with an event: until none is left, an
            // event committed after the relay's check below would look lost (the test's own race, seen on loaded machines).
            await Eventually.TrueAsync(
                async () => await database.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders WHERE status = 'PENDING_PAYMENT'") == 0,
                TimeSpan.FromSeconds(15), "the expiry job expires every order the load left unpaid");
            var figures = await Deliveries.AssertEveryEventDeliveredAsync(database.Sql, platform, exactlyOnce: false);

            // Every write the host acknowledged survived the restart (a write whose answer was lost may have, too).
            var ids = members.Select(m => m.Id).ToArray();
            var charges = await database.Sql.ScalarAsync<long>("SELECT count(*) FROM points.ledger WHERE member_id = ANY(@Ids) AND type = 'CHARGE' AND amount = 100", new { Ids = ids });
            var checkouts = await database.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders WHERE member_id = ANY(@Ids) AND flow = 'CHECKOUT'", new { Ids = ids });
            Assert.InRange(charges, all.Count(s => s.Operation == "charge" && s.Reply.IsSuccess), all.Count(s => s.Operation == "charge"));
            Assert.InRange(checkouts, all.Count(s => s.Operation == "checkout" && s.Reply.IsSuccess), all.Count(s => s.Operation == "checkout"));
            Assert.Equal(0, await database.Sql.WalletsOffTheirLedgerAsync());
            Assert.False(host.HasExited);
            output.WriteLine($"After the outage: {figures}");
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>One request of each kind of path: queries and commands, anonymous and signed in, with and without the pipeline's transaction.</summary>
    private static async Task<Sent> SendOneAsync(HttpClient client, int operation, Shopper member, long productId, long campaignId) => operation switch
    {
        0 => new("charge", await client.PostReplyAsync("/api/me/points/charge", member.Token, new { amount = 100 })),
        1 => new("balance", await client.GetReplyAsync("/api/me/points", member.Token)),
        2 => new("product", await client.GetReplyAsync($"/api/products/{productId}")),
        3 => new("checkout", await client.PostReplyAsync("/api/orders/checkout", member.Token, Basket(productId))),
        4 => new("place order", await client.PostReplyAsync("/api/orders", member.Token, Basket(productId))),
        _ => new("claim coupon", await client.PostReplyAsync($"/api/coupons/{campaignId}/issue", member.Token)),
    };

    private static object Basket(long productId) =>
        new { items = new[] { new { productId, quantity = 1 } }, couponIds = Array.Empty<long>() };

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => Instances.TryDelete(_directory);
}

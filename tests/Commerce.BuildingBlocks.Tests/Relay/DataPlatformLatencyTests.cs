using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Commerce.BuildingBlocks.Tests.Relay;

/// <summary>
/// The command path and the platform, through the real host over HTTP: orders (Checkout, and PlaceOrder then
/// PayOrder) and ChargePoints commit their events through the same outbox, and the host's own relay sends them.
/// </summary>
public sealed class DataPlatformLatencyTests(DataPlatformApp app, ITestOutputHelper output) : IClassFixture<DataPlatformApp>
{
    private sealed record Timings(double P50, double P95, double Max)
    {
        public static Timings Of(List<double> samples)
        {
            var sorted = samples.Order().ToList();
            return new Timings(Deliveries.Percentile(sorted, 0.5), Deliveries.Percentile(sorted, 0.95), sorted[^1]);
        }

        public override string ToString() => $"p50 {P50:0.0} ms, p95 {P95:0.0} ms, max {Max:0.0} ms";
    }

    [Fact]
    public async Task A_committed_charge_reaches_a_healthy_platform_well_under_a_second_later_without_waiting_for_the_poll()
    {
        app.Platform.Heal();
        var member = await app.NewMemberAsync();
        var client = app.ClientFor(member);
        var lags = new List<double>();

        // The first deliveries after start open the platform connection and compile the relay's path.
        for (var i = -3; i < 20; i++)
        {
            var sent = Stopwatch.GetTimestamp();
            var charge = (await (await client.PostAsJsonAsync("/api/me/points/charge", new { amount = 100 })).EnsureSuccessStatusCode()
                .Content.ReadFromJsonAsync<ChargeResult>())!;
            await app.Platform.WaitUntilAsync(r => r.Any(x => x.Acknowledged && LedgerEntryId(x) == charge.LedgerEntryId), TimeSpan.FromSeconds(5), "the charge");
            var acknowledged = app.Platform.Requests.First(x => x.Acknowledged && LedgerEntryId(x) == charge.LedgerEntryId).Timestamp;
            if (i >= 0)
            {
                lags.Add(Stopwatch.GetElapsedTime(sent, acknowledged).TotalMilliseconds);
            }
        }

        // Measured from the request's start, so it includes the command itself: an upper bound of commit-to-delivery.
        var timings = Timings.Of(lags);
        output.WriteLine($"Request start to platform acknowledgement, poll interval 30 s: {timings}");
        // Polling comes every 30 s here, so anything this fast was the wake-up after commit; the bounds leave room
        // for a shared, loaded CI machine (an idle one shows p95 well under 100 ms).
        Assert.True(timings.Max < 2_500, $"max {timings.Max} ms");
        Assert.True(timings.P95 < 1_000, $"p95 {timings.P95} ms");
    }

    [Fact]
    public async Task Checkout_latency_stays_flat_while_the_data_platform_hangs_and_every_paid_order_goes_out_once_it_recovers()
    {
        app.Platform.Heal();
        var productId = await NewProductAsync();
        var (members, clients) = await MembersWithPointsAsync(5);
        var checkout = (int i) => clients[i % clients.Count].PostAsJsonAsync("/api/orders/checkout", new { items = new[] { new { productId, quantity = 1 } } });

        var (baseline, hanging, held) = await MeasureHealthyThenHangingAsync(checkout);

        output.WriteLine($"Checkout over HTTP, healthy platform: {baseline}");
        output.WriteLine($"Checkout over HTTP, platform hanging ({held} deliveries held, timeout 2 s): {hanging}");
        AssertFlat(baseline, hanging, held);
        var orders = await app.Sql.QueryAsync<long>("SELECT id FROM orders.orders WHERE status = 'PAID' AND member_id = ANY(@Ids)",
            new { Ids = members.Select(m => m.Id).ToArray() });
        Assert.Equal(130, orders.Count);
        var streams = orders.Select(id => $"order-{id}").ToHashSet();
        await RecoverAsync(r => r.Where(x => x.Acknowledged && streams.Contains(x.Event.StreamId)).Select(x => x.Event.StreamId).Distinct().Count() == 130,
            "130 paid orders");
        Assert.All(app.Platform.Requests.Where(x => streams.Contains(x.Event.StreamId)), x => Assert.Equal("OrderPaid", x.Event.Type));
    }

    [Fact]
    public async Task ChargePoints_latency_stays_flat_while_the_data_platform_hangs_and_its_events_go_out_once_it_recovers()
    {
        app.Platform.Heal();
        var members = await TestMembers.InsertAsync(app.Sql, 5);
        var clients = members.Select(app.ClientFor).ToList();
        var charge = (int i) => clients[i % clients.Count].PostAsJsonAsync("/api/me/points/charge", new { amount = 10 });

        var (baseline, hanging, held) = await MeasureHealthyThenHangingAsync(charge);

        output.WriteLine($"ChargePoints over HTTP, healthy platform: {baseline}");
        output.WriteLine($"ChargePoints over HTTP, platform hanging ({held} deliveries held, timeout 2 s): {hanging}");
        AssertFlat(baseline, hanging, held);
        var streams = members.Select(m => $"member-{m.Id}").ToHashSet();
        await RecoverAsync(r => r.Where(x => x.Acknowledged && streams.Contains(x.Event.StreamId)).Select(x => x.Event.EventId).Distinct().Count() == 130, "all 130 charges");
        foreach (var stream in streams)
        {
            var firstAcknowledgements = app.Platform.Requests.Where(x => x.Acknowledged && x.Event.StreamId == stream).DistinctBy(x => x.Event.EventId).ToList();
            Assert.Equal(26, firstAcknowledgements.Count);
            Assert.Equal(firstAcknowledgements.Select(LedgerEntryId).Order(), firstAcknowledgements.Select(LedgerEntryId));
        }
    }

    [Fact]
    public async Task A_placed_then_paid_order_reaches_the_platform_as_OrderPlaced_OrderPaying_then_OrderPaid_each_with_the_whole_order()
    {
        app.Platform.Heal();
        var productId = await NewProductAsync();
        var client = (await MembersWithPointsAsync(1)).Clients[0];

        var placed = await (await client.PostAsJsonAsync("/api/orders", new { items = new[] { new { productId, quantity = 2 } } }))
            .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        var orderId = placed.GetProperty("id").GetInt64();
        (await client.PostAsync($"/api/orders/{orderId}/payment", null)).EnsureSuccessStatusCode();

        var stream = $"order-{orderId}";
        await app.Platform.WaitUntilAsync(r => r.Count(x => x.Acknowledged && x.Event.StreamId == stream) == 3, TimeSpan.FromSeconds(10), "the three order events");
        var events = app.Platform.Requests.Where(x => x.Acknowledged && x.Event.StreamId == stream).Select(x => x.Event).ToList();
        Assert.Equal(["OrderPlaced", "OrderPaying", "OrderPaid"], events.Select(e => e.Type));
        Assert.True(events[0].Sequence < events[1].Sequence && events[1].Sequence < events[2].Sequence);
        Assert.Equal(["PENDING_PAYMENT", "PAYING", "PAID"], events.Select(e => e.Payload.GetProperty("order").GetProperty("status").GetString()));
        Assert.All(events, e => Assert.Equal(2, e.Payload.GetProperty("order").GetProperty("lines")[0].GetProperty("quantity").GetInt32()));
    }

    /// <summary>Sixty requests against a healthy platform, then sixty while it holds every delivery without an answer.</summary>
    private async Task<(Timings Baseline, Timings Hanging, int Held)> MeasureHealthyThenHangingAsync(Func<int, Task<HttpResponseMessage>> send)
    {
        await MeasureAsync(send, 10);
        var baseline = await MeasureAsync(send, 60);
        app.Platform.Hang = true;
        var arrivedBefore = app.Platform.Arrived;
        var hangStarted = Stopwatch.GetTimestamp();
        var hanging = await MeasureAsync(send, 60);
        Assert.DoesNotContain(app.Platform.Requests, r => r.Acknowledged && r.Timestamp > hangStarted);
        return (baseline, hanging, app.Platform.Arrived - arrivedBefore);
    }

    private static void AssertFlat(Timings baseline, Timings hanging, int held)
    {
        // At least each stream's head was held; heads time out after 2 s and go again as the clock moves on.
        Assert.True(held >= 5, $"only {held} deliveries held while commands ran");
        // A command that waited for the platform would take at least its 2 s timeout: none did. The spread against the
        // healthy run is generous because CI machines are shared and noisy; the timeout is the sharp line.
        Assert.True(hanging.Max < 2_000, $"max {hanging.Max} ms while the platform hangs: a request waited for it");
        Assert.True(hanging.P95 <= baseline.P95 * 3 + 250, $"p95 {hanging.P95} ms while hanging vs {baseline.P95} ms healthy");
    }

    /// <summary>
    /// The platform answers again. The test clock stands still, so it is moved on (making every scheduled retry due,
    /// including those recorded by batches still finishing) and the relay woken, as a commit would, until <paramref name="done"/>.
    /// </summary>
    private async Task RecoverAsync(Func<IReadOnlyList<PlatformRequest>, bool> done, string what)
    {
        app.Platform.Hang = false;
        var signal = app.Services.GetRequiredService<OutboxSignal>();
        var started = Stopwatch.GetTimestamp();
        while (!done(app.Platform.Requests))
        {
            Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(20), $"the platform did not see {what} within 20 s after recovering");
            app.Clock.Advance(TimeSpan.FromMinutes(1));
            signal.Wake();
            await Task.Delay(200);
        }
    }

    /// <summary>One request every 50 ms (a run outlasts the relay's 2 s platform timeout), moving the clock 1 s every 10 so failed deliveries fall due again.</summary>
    private async Task<Timings> MeasureAsync(Func<int, Task<HttpResponseMessage>> send, int count)
    {
        var samples = new List<double>();
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            (await send(i)).EnsureSuccessStatusCode();
            samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (i % 10 == 9)
            {
                app.Clock.Advance(TimeSpan.FromSeconds(1));
            }

            await Task.Delay(50);
        }

        return Timings.Of(samples);
    }

    private async Task<long> NewProductAsync()
    {
        var admin = await app.AdminAsync();
        var product = await (await admin.PostAsJsonAsync("/api/admin/products", new { name = "Relay test tea", price = 1_000, stock = 10_000 }))
            .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        return product.GetProperty("id").GetInt64();
    }

    private async Task<(IReadOnlyList<TestMember> Members, List<HttpClient> Clients)> MembersWithPointsAsync(int count)
    {
        var members = await TestMembers.InsertAsync(app.Sql, count);
        var clients = members.Select(app.ClientFor).ToList();
        foreach (var client in clients)
        {
            (await client.PostAsJsonAsync("/api/me/points/charge", new { amount = 1_000_000 })).EnsureSuccessStatusCode();
        }

        return (members, clients);
    }

    private static long LedgerEntryId(PlatformRequest request) =>
        request.Event.Type == "PointsCharged" ? request.Event.Payload.GetProperty("ledgerEntryId").GetInt64() : -1;

    private sealed record ChargeResult(long LedgerEntryId, long Amount, long Balance);
}

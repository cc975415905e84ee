using System.Text.Json;
using Dapper;

namespace Commerce.Bench;

internal sealed partial class Bench
{
    /// <summary>Charges by the harness's HTTP members (pgbench's wallets are far above).</summary>
    private const string ChargesSql = "SELECT count(*) FROM points.ledger WHERE type = 'CHARGE' AND reference IS NULL AND member_id < 1000000000";

    private static readonly ResourceUse NotSplit = new(double.NaN, double.NaN, double.NaN, double.NaN);

    /// <summary>A request the host shed (more clients than it admits at once, or an open loop beyond its rate).</summary>
    private const string Overloaded = "503 OVERLOADED";

    /// <summary>
    /// Coupon issuing, sustained: <see cref="WriteClients"/> clients claim for the sustained time from campaigns of one
    /// coupon per member (10,000 at scale 1), each member once per campaign, moving to the next campaign when the members
    /// are used up, so every claim issues a coupon and one campaign row at a time is the hot row. Then the burst.
    /// </summary>
    private async Task CouponRushAsync()
    {
        var members = _members.Count;
        // Enough campaigns for 5,000 claims a second; a faster host runs out, and the rule says so.
        var campaigns = new long[(int)Math.Ceiling(5_000.0 * options.SustainedSeconds / members)];
        for (var c = 0; c < campaigns.Length; c++)
        {
            campaigns[c] = await _seed.CampaignAsync(members, $"Sustained coupon campaign {c + 1}");
        }

        using var api = new Api(host.BaseAddress, WriteClients);
        var (load, use, flow) = await SustainAsync(api, WriteClients, campaigns.Length * members,
            async i => (await api.SendAsync(HttpMethod.Post, $"/api/coupons/{campaigns[i / members]}/issue", _members[i % members].Token)).Outcome);

        var counts = load.OutcomeCounts();
        var issued = counts.GetValueOrDefault("201");
        var shed = counts.GetValueOrDefault(Overloaded);
        var state = await SingleAsync<(long IssuedCount, long Coupons, long Doubles, long Over)>("""
            SELECT coalesce(sum(c.issued_count), 0)::bigint,
                   (SELECT count(*) FROM coupons.issued_coupons i WHERE i.campaign_id = ANY(@Ids)),
                   (SELECT count(*) FROM (SELECT FROM coupons.issued_coupons i WHERE i.campaign_id = ANY(@Ids) GROUP BY i.campaign_id, i.member_id HAVING count(*) > 1) d),
                   count(*) FILTER (WHERE c.issued_count > c.total_quantity)
            FROM coupons.campaigns c WHERE c.id = ANY(@Ids)
            """, new { Ids = campaigns });
        var invariant = Invariant.Check(
            state.IssuedCount == issued && state.Coupons == issued && issued + shed == load.Count && state.Doubles == 0 && state.Over == 0,
            $"issued_count {state.IssuedCount} = coupons {state.Coupons} = 201s {issued}; shed {shed}; members with two: {state.Doubles}; campaigns over quantity: {state.Over}");
        var sustained = Rule(load, WriteClients, issued, shed, load.Count - issued - shed, flow, "claim");
        var used = (load.Count + members - 1) / members;
        var title = $"coupon issue, sustained ({issued} coupons from {used} campaign{(used == 1 ? "" : "s")} of {members})";
        _rows.Add(ApiRow(title, WriteClients, load, use, ["201", Overloaded], invariant, sustained: sustained));

        await PgbenchAsync("coupon issue, explicit lock", "coupon_issue_explicit_lock.sql", WriteClients, sustained.PerSecond,
            async () => new() { ["campaign"] = await _seed.CampaignAsync(2_000_000_000, "pgbench explicit lock") });
        await PgbenchAsync("coupon issue, the handler's one statement", "coupon_issue_one_statement.sql", WriteClients, sustained.PerSecond,
            async () => new() { ["campaign"] = await _seed.CampaignAsync(2_000_000_000, "pgbench one statement") });

        await CouponBurstAsync();
    }

    /// <summary>
    /// The flash sale as it arrives, a burst: a 9,000-coupon campaign, 10,000 distinct members claiming once each at
    /// 500 clients. It shows what no sustained run does: more clients than the host admits (the excess shed with 503)
    /// and the sold-out tail answered from memory. Its rate is not one the host holds, so nothing is compared with it.
    /// </summary>
    private async Task CouponBurstAsync()
    {
        var claims = _members.Count;
        var quantity = Math.Max(1, claims - claims / 10);
        var clients = Math.Min(500, claims);
        var campaign = await _seed.CampaignAsync(quantity, "Coupon rush");
        var path = $"/api/coupons/{campaign}/issue";

        using var api = new Api(host.BaseAddress, clients);
        var (load, use) = await MeasureAsync(api, claims, clients,
            async i => (await api.SendAsync(HttpMethod.Post, path, _members[i].Token)).Outcome);

        var counts = load.OutcomeCounts();
        var issued = counts.GetValueOrDefault("201");
        var shed = counts.GetValueOrDefault(Overloaded);
        // Shed claims never reached the campaign; once any claim met a sold-out campaign, every coupon was issued.
        var expectedIssued = counts.ContainsKey("409 COUPON_SOLD_OUT") || shed == 0 ? quantity : issued;
        var state = await SingleAsync<(int IssuedCount, long Coupons, long Doubles)>("""
            SELECT c.issued_count,
                   (SELECT count(*) FROM coupons.issued_coupons i WHERE i.campaign_id = c.id),
                   (SELECT count(*) FROM (SELECT FROM coupons.issued_coupons i WHERE i.campaign_id = c.id GROUP BY i.member_id HAVING count(*) > 1) d)
            FROM coupons.campaigns c WHERE c.id = @Campaign
            """, new { Campaign = campaign });
        var invariant = Invariant.Check(
            state.IssuedCount == expectedIssued && state.Coupons == expectedIssued && issued == expectedIssued && expectedIssued <= quantity
            && state.Doubles == 0,
            $"issued_count {state.IssuedCount} = coupons {state.Coupons} = 201s {issued} = {expectedIssued} (of {quantity}); members with two: {state.Doubles}; shed {shed}");
        var (seconds, _) = Phase(load, "201");
        _rows.Add(ApiRow($"coupon rush, burst: {claims} claims for {quantity} coupons (issuing phase: {issued} in {seconds:0.00} s)", clients, load, use,
            ["201", "409 COUPON_SOLD_OUT", Overloaded], invariant));
    }

    /// <summary>One product, stock that does not run out, checkouts by every member in turn at <see cref="WriteClients"/>.</summary>
    private async Task HotCheckoutAsync()
    {
        const int stock = 1_000_000_000;
        var clients = WriteClients;
        var product = (await _seed.ProductsAsync(1, Price, stock, "Hot product"))[0];
        var body = JsonSerializer.SerializeToUtf8Bytes(Basket(product), JsonSerializerOptions.Web);

        using var api = new Api(host.BaseAddress, clients);
        var (load, use, flow) = await SustainAsync(api, clients, int.MaxValue,
            async i => (await api.SendAsync(HttpMethod.Post, "/api/orders/checkout", _members[i % _members.Count].Token, body)).Outcome);

        var counts = load.OutcomeCounts();
        var sold = counts.GetValueOrDefault("201");
        var shed = counts.GetValueOrDefault(Overloaded);
        var state = await SingleAsync<(int Stock, long Orders, long Units, long Payments)>("""
            SELECT p.stock,
                   (SELECT count(*) FROM orders.order_lines l JOIN orders.orders o ON o.id = l.order_id
                    WHERE l.product_id = p.id AND o.status = 'PAID' AND o.flow = 'CHECKOUT'),
                   (SELECT coalesce(sum(s.units), 0) FROM catalog.product_sales_daily s WHERE s.product_id = p.id),
                   (SELECT count(*) FROM orders.payments pm JOIN orders.order_lines l ON l.order_id = pm.order_id
                    WHERE l.product_id = p.id AND pm.status = 'APPROVED')
            FROM catalog.products p WHERE p.id = @Product
            """, new { Product = product });
        var invariant = Invariant.Check(
            state.Stock == stock - sold && state.Orders == sold && state.Units == sold && state.Payments == sold && sold + shed == load.Count,
            $"stock sold {stock - state.Stock} = paid orders {state.Orders} = units sold {state.Units} = payments {state.Payments} = 201s {sold}; shed {shed}");
        var sustained = Rule(load, clients, sold, shed, load.Count - sold - shed, flow, "checkout");
        _rows.Add(ApiRow("hot-product checkout, sustained (one product)", clients, load, use, ["201", Overloaded], invariant, sustained: sustained));
        var rate = sustained.PerSecond;

        await PgbenchAsync("hot-product checkout", "checkout.sql", clients, rate, async () =>
        {
            var hot = (await _seed.PgbenchProductsAsync(1, Price))[0];
            return CheckoutVariables(hot, hot);
        });
        await PgbenchAsync("hot-product checkout, the seed's explicit locks", "checkout_seed_explicit_lock.sql", clients, rate, async () =>
        {
            var hot = (await _seed.ProductsAsync(1, Price, 1_000_000_000, "pgbench seed hot product"))[0];
            return CheckoutVariables(hot, hot);
        });
    }

    /// <summary>Members in turn each buying one unit of a random one of 1,000 products, at <see cref="WriteClients"/>.</summary>
    private async Task SpreadCheckoutAsync()
    {
        // Half of every product's stock of 1,000 at most, so none sells out however the random picks fall.
        var maxCount = _spreadProducts.Length * 500;
        var random = new Random(42);
        var bodies = _spreadProducts.Select(p => JsonSerializer.SerializeToUtf8Bytes(Basket(p), JsonSerializerOptions.Web)).ToArray();
        var picks = Enumerable.Range(0, maxCount).Select(_ => random.Next(bodies.Length)).ToArray();

        using var api = new Api(host.BaseAddress, WriteClients);
        var (load, use, flow) = await SustainAsync(api, WriteClients, maxCount,
            async i => (await api.SendAsync(HttpMethod.Post, "/api/orders/checkout", _members[i % _members.Count].Token, bodies[picks[i]])).Outcome);

        var sold = load.OutcomeCounts().GetValueOrDefault("201");
        var shed = load.OutcomeCounts().GetValueOrDefault(Overloaded);
        var state = await SingleAsync<(long Off, long Units)>("""
            SELECT count(*) FILTER (WHERE p.stock <> 1000 - coalesce(l.units, 0)), coalesce(sum(l.units), 0)::bigint
            FROM catalog.products p
            LEFT JOIN (SELECT product_id, sum(quantity) AS units FROM orders.order_lines WHERE product_id = ANY(@Ids) GROUP BY product_id) l
                   ON l.product_id = p.id
            WHERE p.id = ANY(@Ids)
            """, new { Ids = _spreadProducts });
        var invariant = Invariant.Check(state.Off == 0 && state.Units == sold && sold + shed == load.Count,
            $"every product's stock = 1000 − its order lines ({state.Off} off); units {state.Units} = 201s {sold}; shed {shed}");
        var sustained = Rule(load, WriteClients, sold, shed, load.Count - sold - shed, flow, "checkout");
        var row = ApiRow($"spread checkout, sustained ({_spreadProducts.Length} products)", WriteClients, load, use, ["201", Overloaded], invariant,
            sustained: sustained);
        _rows.Add(row);
        _sustainedRates["spread"] = sustained.PerSecond;

        await PgbenchAsync("spread checkout", "checkout.sql", WriteClients, sustained.PerSecond, async () =>
        {
            var products = await _seed.PgbenchProductsAsync(_spreadProducts.Length, Price);
            return CheckoutVariables(products[0], products[^1]);
        });
    }

    private static Dictionary<string, object> CheckoutVariables(long firstProduct, long lastProduct) => new()
    {
        ["first_product"] = firstProduct,
        ["last_product"] = lastProduct,
        ["first_member"] = PgbenchFirstMember,
        ["last_member"] = PgbenchFirstMember + PgbenchMembers - 1,
        ["price"] = Price,
    };

    /// <summary>PlaceOrder then PayOrder through the simulated gateway (10 ms), members in turn, at <see cref="WriteClients"/>.</summary>
    private async Task PlaceAndPayAsync()
    {
        var products = await _seed.ProductsAsync(100, Price, 1_000_000_000, "Pay product");

        using var api = new Api(host.BaseAddress, WriteClients);
        var (load, use, flow) = await SustainAsync(api, WriteClients, int.MaxValue,
            i => PlaceAndPayOnceAsync(api, _members[i % _members.Count], products[i % products.Length]));

        var outcomes = load.OutcomeCounts();
        var paid = outcomes.GetValueOrDefault("PAID");
        // A shed place (503) creates nothing; a shed pay leaves its order PENDING_PAYMENT with its stock held until expiry.
        var placeShed = outcomes.GetValueOrDefault($"place: {Overloaded}");
        var placed = load.Count - placeShed;
        var payShed = outcomes.GetValueOrDefault($"pay: {Overloaded}");
        var state = await SingleAsync<(long Orders, long Paid, long OnePayment, long Units)>("""
            SELECT count(*),
                   count(*) FILTER (WHERE o.status = 'PAID'),
                   count(*) FILTER (WHERE (SELECT count(*) FROM orders.payments pm WHERE pm.order_id = o.id AND pm.status = 'APPROVED') = 1),
                   (SELECT sum(1000000000 - stock) FROM catalog.products WHERE id = ANY(@Ids))::bigint
            FROM orders.orders o
            WHERE o.flow = 'PLACE_ORDER' AND EXISTS (SELECT FROM orders.order_lines l WHERE l.order_id = o.id AND l.product_id = ANY(@Ids))
            """, new { Ids = products });
        var invariant = Invariant.Check(
            state.Orders == placed && state.Units == placed && state.Paid == paid && state.OnePayment == paid && paid + payShed == placed,
            $"orders {state.Orders} = units taken {state.Units} = placed {placed}; PAID {state.Paid} = with one approved payment " +
            $"{state.OnePayment} = paid {paid}; paid + pay shed {payShed} = placed");
        var sustained = Rule(load, WriteClients, paid, placeShed + payShed, load.Count - paid - placeShed - payShed, flow, "pair");
        _rows.Add(ApiRow("place order + pay order (gateway 10 ms), per pair, sustained", WriteClients, load, use, ["PAID", $"place: {Overloaded}", $"pay: {Overloaded}"],
            invariant, sustained: sustained));
    }

    private static async Task<string> PlaceAndPayOnceAsync(Api api, BenchMember member, long product)
    {
        var placed = await api.PostAsync("/api/orders", member.Token, Basket(product));
        if (placed.Status != 201)
        {
            return $"place: {placed.Outcome}";
        }

        var orderId = placed.Json.GetProperty("id").GetInt64();
        var paid = await api.SendAsync(HttpMethod.Post, $"/api/orders/{orderId}/payment", member.Token);
        return paid.Status == 200 && paid.Json.GetProperty("order").GetProperty("status").GetString() == "PAID" ? "PAID" : $"pay: {paid.Outcome}";
    }

    /// <summary>ChargePoints with an Idempotency-Key, as the API recommends, members in turn, at <see cref="WriteClients"/>.</summary>
    private async Task ChargePointsAsync()
    {
        var before = await ScalarAsync<long>(ChargesSql);

        using var api = new Api(host.BaseAddress, WriteClients);
        // A thousand charges per member at most: wallets stay far below the maximum balance.
        var (load, use, flow) = await SustainAsync(api, WriteClients, _members.Count * 1_000,
            async i => (await api.SendAsync(HttpMethod.Post, "/api/me/points/charge", _members[i % _members.Count].Token, ChargeBody, $"bench-charge-{i}")).Outcome);

        var charged = load.OutcomeCounts().GetValueOrDefault("200");
        var shed = load.OutcomeCounts().GetValueOrDefault(Overloaded);
        var entries = await ScalarAsync<long>(ChargesSql) - before;
        var keys = await ScalarAsync<long>("SELECT count(*) FROM platform.idempotency_keys WHERE key LIKE 'bench-charge-%' AND response IS NOT NULL");
        var off = await ScalarAsync<long>("""
            SELECT count(*) FROM points.wallets w
            WHERE w.member_id = ANY(@Ids) AND w.balance <> (SELECT sum(amount) FROM points.ledger l WHERE l.member_id = w.member_id)
            """, new { Ids = _members.Select(m => m.Id).ToArray() });
        var invariant = Invariant.Check(entries == charged && keys == charged && charged + shed == load.Count && off == 0,
            $"ledger entries {entries} = stored keys {keys} = 200s {charged}; shed {shed}; balances ≠ ledger: {off}");
        var sustained = Rule(load, WriteClients, charged, shed, load.Count - charged - shed, flow, "charge");
        _rows.Add(ApiRow("charge points, sustained (many members)", WriteClients, load, use, ["200", Overloaded], invariant, sustained: sustained));
        _sustainedRates["charge"] = sustained.PerSecond;

        await PgbenchAsync("charge points", "charge_points.sql", WriteClients, sustained.PerSecond, () => Task.FromResult(new Dictionary<string, object>
        {
            ["first_member"] = PgbenchFirstMember,
            ["last_member"] = PgbenchFirstMember + PgbenchMembers - 1,
        }));
    }

    /// <summary>The product page and the popular products, anonymous, at <see cref="ReadClients"/>, sustained like the writes.</summary>
    private async Task ReadsAsync()
    {
        using var api = new Api(host.BaseAddress, ReadClients);
        foreach (var (name, path) in new (string, Func<int, string>)[]
                 {
                     ("product page", i => $"/api/products/{_spreadProducts[i % _spreadProducts.Length]}"),
                     ("popular products", _ => "/api/products/popular"),
                 })
        {
            var (load, use, flow) = await SustainAsync(api, ReadClients, int.MaxValue, async i => (await api.GetAsync(path(i))).Outcome);
            var ok = load.OutcomeCounts().GetValueOrDefault("200");
            var shed = load.OutcomeCounts().GetValueOrDefault(Overloaded);
            var sustained = Rule(load, ReadClients, ok, shed, load.Count - ok - shed, flow, "read");
            _rows.Add(ApiRow($"read: {name}, sustained", ReadClients, load, use, ["200", Overloaded],
                Invariant.Check(ok + shed == load.Count, $"200s {ok} + shed {shed} = {load.Count}"), sustained: sustained));
            _sustainedRates[name] = sustained.PerSecond;
        }
    }

    /// <summary>
    /// Fixed arrival rates at 70 % of the sustained rate (see <see cref="Rule"/>), latency from the moment each request
    /// was due: spread checkout, charge points and the product page.
    /// </summary>
    private async Task OpenLoopAsync()
    {
        var bodies = _spreadProducts.Select(p => JsonSerializer.SerializeToUtf8Bytes(Basket(p), JsonSerializerOptions.Web)).ToArray();
        using var api = new Api(host.BaseAddress, 2_000);
        var runs = new (string Name, string RateOf, string[] Expected, Operation Operation)[]
        {
            ("spread checkout", "spread", ["201"], async i =>
                (await api.SendAsync(HttpMethod.Post, "/api/orders/checkout", _members[i % _members.Count].Token, bodies[Random.Shared.Next(bodies.Length)])).Outcome),
            ("charge points", "charge", ["200"], async i =>
                (await api.SendAsync(HttpMethod.Post, "/api/me/points/charge", _members[i % _members.Count].Token, ChargeBody, $"open-charge-{i}")).Outcome),
            ("product page", "product page", ["200"], async i =>
                (await api.GetAsync($"/api/products/{_spreadProducts[i % _spreadProducts.Length]}")).Outcome),
        };

        foreach (var (name, rateOf, expected, operation) in runs)
        {
            if (Sustained(rateOf) is not (> 0 and var sustained))
            {
                _notes.Add($"Open loop '{name}' skipped: no sustained rate in this run (run its scenario or pass --rate).");
                continue;
            }

            var perSecond = 0.7 * sustained;
            await DrainOutboxAsync($"the open loop '{name}'");
            Progress($"Open loop {name}: {perSecond:0}/s for {options.OpenLoopSeconds} s");
            await api.OpenConnectionsAsync(64);
            await ExecuteAsync("CHECKPOINT");
            var window = new ResourceWindow(host.Pid, host.PostmasterPid, rss);
            window.Start();
            var started = DateTime.UtcNow;
            var load = await Load.OpenLoopAsync(perSecond, TimeSpan.FromSeconds(options.OpenLoopSeconds), operation);
            var ended = DateTime.UtcNow;
            var use = window.Stop() with { OutboxBacklog = name == "product page" ? null : await OutboxBacklogAsync() };
            var ok = expected.Sum(e => load.OutcomeCounts().GetValueOrDefault(e));
            var row = ApiRow($"open loop: {name} at {perSecond:0}/s (70 % of {sustained:0}/s {RateSource(rateOf)})", PeakInFlight(load), load, use, [.. expected],
                Invariant.Check(ok == load.Count, $"{ok} of {load.Count} answered as expected"));
            _rows.Add(row);
            _notes.Add($"Open loop '{name}', p99 of each second in turn (ms; by due time): {PerSecondP99(load)}.");
            _notes.Add($"Open loop '{name}', PostgreSQL's own work meanwhile (server log; seconds from the start, job's time and CPU): " +
                $"{PostgresLog.Describe(host.PostgresLog, started, ended)}.");
        }
    }

    /// <summary>The tail second by second, so a stall that recurs (a background job, a GC, a checkpoint) shows as a period
    /// rather than hiding in the run's one p99.</summary>
    private static string PerSecondP99(LoadResult load) =>
        string.Join(" ", Enumerable.Range(0, load.Count)
            .GroupBy(i => (int)(LoadResult.ToMs(load.Intended[i]) / 1000))
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var latencies = g.Select(i => LoadResult.ToMs(load.Ended[i] - load.Intended[i])).Order().ToArray();
                return latencies[(int)Math.Min(latencies.Length - 1, Math.Ceiling(latencies.Length * 0.99) - 1)].ToString("0", System.Globalization.CultureInfo.InvariantCulture);
            }));

    /// <summary>
    /// Overload: charge points, open loop, at 150 % of the sustained rate. The host admits what it can
    /// serve and answers the rest at once with 503 OVERLOADED; every admitted charge is committed, none refused is.
    /// Then a second at 50 %: once the load drops, it is served normally.
    /// </summary>
    private async Task OverloadAsync()
    {
        if (Sustained("charge") is not (> 0 and var sustained))
        {
            _notes.Add("Overload skipped: no sustained charge rate in this run (run 'charge' or pass --rate charge=N).");
            return;
        }

        using var api = new Api(host.BaseAddress, 4_000);
        var perSecond = 1.5 * sustained;
        await DrainOutboxAsync("the overload run");
        Progress($"Overload: charge points at {perSecond:0}/s for {options.OpenLoopSeconds} s");
        await api.OpenConnectionsAsync(64);
        await ExecuteAsync("CHECKPOINT");
        var before = await ScalarAsync<long>(ChargesSql);
        var window = new ResourceWindow(host.Pid, host.PostmasterPid, rss);
        window.Start();
        var load = await Load.OpenLoopAsync(perSecond, TimeSpan.FromSeconds(options.OpenLoopSeconds), async i =>
            (await api.SendAsync(HttpMethod.Post, "/api/me/points/charge", _members[i % _members.Count].Token, ChargeBody, $"overload-charge-{i}")).Outcome);
        var use = window.Stop() with { OutboxBacklog = await OutboxBacklogAsync() };
        var counts = load.OutcomeCounts();
        var admitted = counts.GetValueOrDefault("200");
        var refused = counts.GetValueOrDefault("503 OVERLOADED");
        var entries = await ScalarAsync<long>(ChargesSql) - before;
        var invariant = Invariant.Check(entries == admitted && admitted + refused == load.Count,
            $"ledger entries {entries} = admitted {admitted}; admitted + refused {refused} = {load.Count}");
        HashSet<string> expected = ["200", "503 OVERLOADED"];
        var title = $"overload: charge points at {perSecond:0}/s (150 % of {sustained:0}/s {RateSource("charge")})";
        _rows.Add(ApiRow($"{title}, admitted", PeakInFlight(load), load, use, expected, invariant, i => load.Outcomes[i] == "200", load.Seconds));
        _rows.Add(ApiRow($"{title}, refused", PeakInFlight(load), load, NotSplit, expected, invariant, i => load.Outcomes[i] == "503 OVERLOADED", load.Seconds));

        var recovery = await Load.OpenLoopAsync(0.5 * sustained, TimeSpan.FromSeconds(1), async i =>
            (await api.SendAsync(HttpMethod.Post, "/api/me/points/charge", _members[i % _members.Count].Token, ChargeBody, $"after-overload-{i}")).Outcome);
        var served = recovery.OutcomeCounts().GetValueOrDefault("200");
        _rows.Add(ApiRow($"overload: the next second, at {0.5 * sustained:0}/s", PeakInFlight(recovery), recovery, NotSplit, ["200"],
            Invariant.Check(served == recovery.Count, $"{served} of {recovery.Count} served")));
    }

    /// <summary>
    /// Reads beside a write overload: charge points at 150 % of the charge rate and the product page at 70 % of its rate,
    /// both open loop, at once. The writes beyond what the host admits are refused; the reads, admitted apart, are all
    /// served.
    /// </summary>
    private async Task MixedAsync()
    {
        if (Sustained("charge") is not (> 0 and var charges) || Sustained("product page") is not (> 0 and var reads))
        {
            _notes.Add("Mixed skipped: needs the charge and product page sustained rates (their scenarios or --rate).");
            return;
        }

        using var api = new Api(host.BaseAddress, 4_000);
        var (writeRate, readRate) = (1.5 * charges, 0.7 * reads);
        await DrainOutboxAsync("the mixed run");
        Progress($"Mixed: charge points at {writeRate:0}/s and the product page at {readRate:0}/s for {options.OpenLoopSeconds} s");
        await api.OpenConnectionsAsync(64);
        await ExecuteAsync("CHECKPOINT");
        var before = await ScalarAsync<long>(ChargesSql);
        var window = new ResourceWindow(host.Pid, host.PostmasterPid, rss);
        window.Start();
        var duration = TimeSpan.FromSeconds(options.OpenLoopSeconds);
        var writing = Load.OpenLoopAsync(writeRate, duration, async i =>
            (await api.SendAsync(HttpMethod.Post, "/api/me/points/charge", _members[i % _members.Count].Token, ChargeBody, $"mixed-charge-{i}")).Outcome);
        var reading = Load.OpenLoopAsync(readRate, duration, async i =>
            (await api.GetAsync($"/api/products/{_spreadProducts[i % _spreadProducts.Length]}")).Outcome);
        var (writes, readLoad) = (await writing, await reading);
        var use = window.Stop() with { OutboxBacklog = await OutboxBacklogAsync() };

        var served = readLoad.OutcomeCounts().GetValueOrDefault("200");
        var title = $"mixed: product page at {readRate:0}/s (70 % of {reads:0}/s) beside charge points at {writeRate:0}/s (150 % of {charges:0}/s)";
        _rows.Add(ApiRow($"{title}, reads", PeakInFlight(readLoad), readLoad, use, ["200"],
            Invariant.Check(served == readLoad.Count, $"{served} of {readLoad.Count} reads served")));
        HashSet<string> expected = ["200", "503 OVERLOADED"];
        var admitted = writes.OutcomeCounts().GetValueOrDefault("200");
        var refused = writes.OutcomeCounts().GetValueOrDefault("503 OVERLOADED");
        var entries = await ScalarAsync<long>(ChargesSql) - before;
        var writeInvariant = Invariant.Check(entries == admitted && admitted + refused == writes.Count,
            $"ledger entries {entries} = admitted {admitted}; admitted + refused {refused} = {writes.Count}");
        _rows.Add(ApiRow($"{title}, writes admitted", PeakInFlight(writes), writes, NotSplit, expected, writeInvariant, i => writes.Outcomes[i] == "200", writes.Seconds));
        _rows.Add(ApiRow($"{title}, writes refused", PeakInFlight(writes), writes, NotSplit, expected, writeInvariant, i => writes.Outcomes[i] == "503 OVERLOADED", writes.Seconds));
    }

    /// <summary>The rate a scenario's open-loop runs take their percentage of: <c>--rate</c>, or its sustained run's.</summary>
    private double Sustained(string name) => options.Rates.TryGetValue(name, out var fixedRate) ? fixedRate : _sustainedRates.GetValueOrDefault(name);

    /// <summary>Where <see cref="Sustained"/> took a rate from, for the row's title.</summary>
    private string RateSource(string name) => options.Rates.ContainsKey(name) ? "given with --rate" : "sustained";

    /// <summary>The most requests in flight at once during an open-loop run (its "clients").</summary>
    private static int PeakInFlight(LoadResult load)
    {
        var events = Enumerable.Range(0, load.Count).SelectMany(i => new[] { (load.Started[i], 1), (load.Ended[i], -1) })
            .OrderBy(e => e.Item1).ThenBy(e => e.Item2);
        int inFlight = 0, peak = 0;
        foreach (var (_, change) in events)
        {
            inFlight += change;
            peak = Math.Max(peak, inFlight);
        }

        return peak;
    }

    private async Task<T> SingleAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.QuerySingleAsync<T>(sql, parameters);
    }
}

using System.Text.Json;
using Dapper;

namespace Commerce.Bench;

internal sealed partial class Bench
{
    /// <summary>Charges by the harness's HTTP members (pgbench's wallets are far above).</summary>
    private const string ChargesSql = "SELECT count(*) FROM points.ledger WHERE type = 'CHARGE' AND reference IS NULL AND member_id < 1000000000";

    private static readonly ResourceUse NotSplit = new(double.NaN, double.NaN, double.NaN, double.NaN);

    /// <summary>A request the host shed (closed loops with hundreds of clients exceed what it admits at once).</summary>
    private const string Overloaded = "503 OVERLOADED";

    /// <summary>
    /// A 9,000-coupon campaign, 10,000 distinct members claiming once each, 500 clients: the issuing phase lasts long
    /// enough to measure (a 1,000-coupon one was over in about a second), and the last tenth still meets a sold-out campaign.
    /// </summary>
    private async Task CouponRushAsync()
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
        HashSet<string> expected = ["201", "409 COUPON_SOLD_OUT", Overloaded];
        var (seconds, inPhase) = Phase(load, "201");
        var rate = issued / seconds;
        _rows.Add(ApiRow($"coupon rush, issuing phase ({issued} coupons in {seconds:0.00} s)", clients, load, NotSplit, expected, invariant, inPhase, seconds));
        _rows.Add(ApiRow($"coupon rush, all {claims} claims", clients, load, use, expected, invariant));

        await PgbenchAsync("coupon issue, explicit lock", "coupon_issue_explicit_lock.sql", clients, rate,
            async () => new() { ["campaign"] = await _seed.CampaignAsync(2_000_000_000, "pgbench explicit lock") });
        await PgbenchAsync("coupon issue, the handler's one statement", "coupon_issue_one_statement.sql", clients, rate,
            async () => new() { ["campaign"] = await _seed.CampaignAsync(2_000_000_000, "pgbench one statement") });
    }

    /// <summary>One product with 10,000 in stock, 20,000 checkouts, 200 clients.</summary>
    private async Task HotCheckoutAsync()
    {
        var stock = options.Scaled(10_000);
        var attempts = options.Scaled(20_000);
        var clients = Math.Min(200, attempts);
        var product = (await _seed.ProductsAsync(1, Price, stock, "Hot product"))[0];
        var body = JsonSerializer.SerializeToUtf8Bytes(Basket(product), JsonSerializerOptions.Web);

        using var api = new Api(host.BaseAddress, clients);
        var (load, use) = await MeasureAsync(api, attempts, clients,
            async i => (await api.SendAsync(HttpMethod.Post, "/api/orders/checkout", _members[i % _members.Count].Token, body)).Outcome);

        var counts = load.OutcomeCounts();
        var sold = counts.GetValueOrDefault("201");
        var state = await SingleAsync<(int Stock, long Orders, long Units, long Payments)>("""
            SELECT p.stock,
                   (SELECT count(*) FROM orders.order_lines l JOIN orders.orders o ON o.id = l.order_id
                    WHERE l.product_id = p.id AND o.status = 'PAID' AND o.flow = 'CHECKOUT'),
                   (SELECT coalesce(sum(s.units), 0) FROM catalog.product_sales_daily s WHERE s.product_id = p.id),
                   (SELECT count(*) FROM orders.payments pm JOIN orders.order_lines l ON l.order_id = pm.order_id
                    WHERE l.product_id = p.id AND pm.status = 'APPROVED')
            FROM catalog.products p WHERE p.id = @Product
            """, new { Product = product });
        var shed = counts.GetValueOrDefault(Overloaded);
        // Shed attempts never reached the product; once any attempt found it sold out, the whole stock was sold.
        var expectedSold = counts.ContainsKey("409 OUT_OF_STOCK") || shed == 0 ? Math.Min(stock, attempts) : sold;
        var invariant = Invariant.Check(
            state.Stock == stock - expectedSold && sold == expectedSold && state.Orders == sold && state.Units == sold && state.Payments == sold
            && counts.GetValueOrDefault("409 OUT_OF_STOCK") + shed == attempts - expectedSold,
            $"stock {stock} → {state.Stock}; paid orders {state.Orders} = units sold {state.Units} = payments {state.Payments} = 201s {sold}; shed {shed}");
        HashSet<string> expected = ["201", "409 OUT_OF_STOCK", Overloaded];
        var (seconds, inPhase) = Phase(load, "201");
        var rate = sold / seconds;
        _rows.Add(ApiRow($"hot-product checkout, selling phase ({sold} sold in {seconds:0.00} s)", clients, load, NotSplit, expected, invariant, inPhase, seconds));
        _rows.Add(ApiRow($"hot-product checkout, all {attempts} attempts", clients, load, use, expected, invariant));

        await PgbenchAsync("hot-product checkout", "checkout.sql", clients, rate, async () =>
        {
            var hot = (await _seed.ProductsAsync(1, Price, 1_000_000_000, "pgbench hot product"))[0];
            return CheckoutVariables(hot, hot);
        });
        await PgbenchAsync("hot-product checkout, the seed's explicit locks", "checkout_seed_explicit_lock.sql", clients, rate, async () =>
        {
            var hot = (await _seed.ProductsAsync(1, Price, 1_000_000_000, "pgbench seed hot product"))[0];
            return CheckoutVariables(hot, hot);
        });
    }

    /// <summary>1,000 products, 10,000 members each buying one unit of a random product, 200 clients.</summary>
    private async Task SpreadCheckoutAsync()
    {
        var count = _members.Count;
        var clients = Math.Min(200, count);
        var random = new Random(42);
        var bodies = _spreadProducts.Select(p => JsonSerializer.SerializeToUtf8Bytes(Basket(p), JsonSerializerOptions.Web)).ToArray();
        var picks = Enumerable.Range(0, count).Select(_ => random.Next(bodies.Length)).ToArray();

        using var api = new Api(host.BaseAddress, clients);
        var (load, use) = await MeasureAsync(api, count, clients,
            async i => (await api.SendAsync(HttpMethod.Post, "/api/orders/checkout", _members[i].Token, bodies[picks[i]])).Outcome);

        var sold = load.OutcomeCounts().GetValueOrDefault("201");
        var shed = load.OutcomeCounts().GetValueOrDefault(Overloaded);
        var state = await SingleAsync<(long Off, long Units)>("""
            SELECT count(*) FILTER (WHERE p.stock <> 1000 - coalesce(l.units, 0)), coalesce(sum(l.units), 0)::bigint
            FROM catalog.products p
            LEFT JOIN (SELECT product_id, sum(quantity) AS units FROM orders.order_lines WHERE product_id = ANY(@Ids) GROUP BY product_id) l
                   ON l.product_id = p.id
            WHERE p.id = ANY(@Ids)
            """, new { Ids = _spreadProducts });
        var invariant = Invariant.Check(state.Off == 0 && state.Units == sold && sold + shed == count,
            $"every product's stock = 1000 − its order lines ({state.Off} off); units {state.Units} = 201s {sold}; shed {shed}");
        var row = ApiRow($"spread checkout, {_spreadProducts.Length} products", clients, load, use, ["201", Overloaded], invariant);
        _rows.Add(row);
        _closedLoopRates["spread"] = row.Errors == 0 ? sold / load.Seconds : 0;

        await PgbenchAsync("spread checkout", "checkout.sql", clients, row.PerSecond, async () =>
        {
            var products = await _seed.ProductsAsync(_spreadProducts.Length, Price, 1_000_000_000, "pgbench spread product");
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

    /// <summary>PlaceOrder then PayOrder through the simulated gateway (10 ms), 2,000 members, 100 clients.</summary>
    private async Task PlaceAndPayAsync()
    {
        var pairs = Math.Min(options.Scaled(2_000), _members.Count);
        var clients = Math.Min(100, pairs);
        var products = await _seed.ProductsAsync(100, Price, 1_000_000, "Pay product");

        using var api = new Api(host.BaseAddress, clients);
        var (load, use) = await MeasureAsync(api, pairs, clients, i => PlaceAndPayOnceAsync(api, _members[i], products[i % products.Length]));

        var outcomes = load.OutcomeCounts();
        var paid = outcomes.GetValueOrDefault("PAID");
        // A shed place (503) creates nothing; a shed pay leaves its order PENDING_PAYMENT with its stock held until expiry.
        var placed = pairs - outcomes.GetValueOrDefault($"place: {Overloaded}");
        var payShed = outcomes.GetValueOrDefault($"pay: {Overloaded}");
        var state = await SingleAsync<(long Orders, long Paid, long OnePayment, long Units)>("""
            SELECT count(*),
                   count(*) FILTER (WHERE o.status = 'PAID'),
                   count(*) FILTER (WHERE (SELECT count(*) FROM orders.payments pm WHERE pm.order_id = o.id AND pm.status = 'APPROVED') = 1),
                   (SELECT sum(1000000 - stock) FROM catalog.products WHERE id = ANY(@Ids))::bigint
            FROM orders.orders o
            WHERE o.flow = 'PLACE_ORDER' AND EXISTS (SELECT FROM orders.order_lines l WHERE l.order_id = o.id AND l.product_id = ANY(@Ids))
            """, new { Ids = products });
        var invariant = Invariant.Check(
            state.Orders == placed && state.Units == placed && state.Paid == paid && state.OnePayment == paid && paid + payShed == placed,
            $"orders {state.Orders} = units taken {state.Units} = placed {placed}; PAID {state.Paid} = with one approved payment " +
            $"{state.OnePayment} = paid {paid}; paid + pay shed {payShed} = placed");
        var row = ApiRow("place order + pay order (gateway 10 ms), per pair", clients, load, use, ["PAID"], invariant);
        _rows.Add(row);
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

    /// <summary>ChargePoints with an Idempotency-Key, as the API recommends, one charge per member, 100 clients.</summary>
    private async Task ChargePointsAsync()
    {
        var count = _members.Count;
        var clients = Math.Min(100, count);
        var before = await ScalarAsync<long>(ChargesSql);

        using var api = new Api(host.BaseAddress, clients);
        var (load, use) = await MeasureAsync(api, count, clients,
            async i => (await api.SendAsync(HttpMethod.Post, "/api/me/points/charge", _members[i].Token, ChargeBody, $"bench-charge-{i}")).Outcome);

        var charged = load.OutcomeCounts().GetValueOrDefault("200");
        var shed = load.OutcomeCounts().GetValueOrDefault(Overloaded);
        var entries = await ScalarAsync<long>(ChargesSql) - before;
        var keys = await ScalarAsync<long>("SELECT count(*) FROM platform.idempotency_keys WHERE key LIKE 'bench-charge-%' AND response IS NOT NULL");
        var off = await ScalarAsync<long>("""
            SELECT count(*) FROM points.wallets w
            WHERE w.member_id = ANY(@Ids) AND w.balance <> (SELECT sum(amount) FROM points.ledger l WHERE l.member_id = w.member_id)
            """, new { Ids = _members.Select(m => m.Id).ToArray() });
        var invariant = Invariant.Check(entries == charged && keys == charged && charged + shed == count && off == 0,
            $"ledger entries {entries} = stored keys {keys} = 200s {charged}; shed {shed}; balances ≠ ledger: {off}");
        var row = ApiRow("charge points, many members", clients, load, use, ["200", Overloaded], invariant);
        _rows.Add(row);
        _closedLoopRates["charge"] = row.Errors == 0 ? charged / load.Seconds : 0;

        await PgbenchAsync("charge points", "charge_points.sql", clients, row.PerSecond, () => Task.FromResult(new Dictionary<string, object>
        {
            ["first_member"] = PgbenchFirstMember,
            ["last_member"] = PgbenchFirstMember + PgbenchMembers - 1,
        }));
    }

    /// <summary>The product page and the popular products, anonymous, 64 clients.</summary>
    private async Task ReadsAsync()
    {
        var count = options.Scaled(10_000);
        var clients = Math.Min(64, count);
        using var api = new Api(host.BaseAddress, clients);
        foreach (var (name, path) in new (string, Func<int, string>)[]
                 {
                     ("product page", i => $"/api/products/{_spreadProducts[i % _spreadProducts.Length]}"),
                     ("popular products", _ => "/api/products/popular"),
                 })
        {
            var (load, use) = await MeasureAsync(api, count, clients, async i => (await api.GetAsync(path(i))).Outcome);
            var ok = load.OutcomeCounts().GetValueOrDefault("200");
            var shed = load.OutcomeCounts().GetValueOrDefault(Overloaded);
            var row = ApiRow($"read: {name}", clients, load, use, ["200", Overloaded], Invariant.Check(ok + shed == count, $"200s {ok} + shed {shed} = {count}"));
            _rows.Add(row);
            _closedLoopRates[name] = row.Errors == 0 ? ok / load.Seconds : 0;
        }
    }

    /// <summary>
    /// Fixed arrival rates at 70 % of what the closed loop sustained without errors, latency from the moment each
    /// request was due: spread checkout, charge points and the product page.
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
                _notes.Add($"Open loop '{name}' skipped: no error-free closed-loop rate in this run.");
                continue;
            }

            var perSecond = 0.7 * sustained;
            Progress($"Open loop {name}: {perSecond:0}/s for {options.OpenLoopSeconds} s");
            await api.OpenConnectionsAsync(64);
            await ExecuteAsync("CHECKPOINT");
            var window = new ResourceWindow(host.Pid, host.PostmasterPid, rss);
            window.Start();
            var load = await Load.OpenLoopAsync(perSecond, TimeSpan.FromSeconds(options.OpenLoopSeconds), operation);
            var use = window.Stop() with { OutboxBacklog = name == "product page" ? null : await OutboxBacklogAsync() };
            var ok = expected.Sum(e => load.OutcomeCounts().GetValueOrDefault(e));
            var row = ApiRow($"open loop: {name} at {perSecond:0}/s (70 % of {sustained:0}/s)", PeakInFlight(load), load, use, [.. expected],
                Invariant.Check(ok == load.Count, $"{ok} of {load.Count} answered as expected"));
            _rows.Add(row);
        }
    }

    /// <summary>
    /// Overload: charge points, open loop, at 150 % of the rate the closed loop sustained. The host admits what it can
    /// serve and answers the rest at once with 503 OVERLOADED; every admitted charge is committed, none refused is.
    /// Then a second at 50 %: once the load drops, it is served normally.
    /// </summary>
    private async Task OverloadAsync()
    {
        if (Sustained("charge") is not (> 0 and var sustained))
        {
            _notes.Add("Overload skipped: no error-free closed-loop charge rate in this run.");
            return;
        }

        using var api = new Api(host.BaseAddress, 4_000);
        var perSecond = 1.5 * sustained;
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
        var title = $"overload: charge points at {perSecond:0}/s (150 % of {sustained:0}/s)";
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
            _notes.Add("Mixed skipped: needs the charge and product page rates (closed loops or --rate).");
            return;
        }

        using var api = new Api(host.BaseAddress, 4_000);
        var (writeRate, readRate) = (1.5 * charges, 0.7 * reads);
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

    /// <summary>The rate a scenario's open-loop runs take their percentage of: <c>--rate</c>, or what its closed loop sustained.</summary>
    private double Sustained(string name) => options.Rates.TryGetValue(name, out var fixedRate) ? fixedRate : _closedLoopRates.GetValueOrDefault(name);

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

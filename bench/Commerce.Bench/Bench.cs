using System.Diagnostics;
using System.Text;
using Dapper;
using Npgsql;

namespace Commerce.Bench;

/// <summary>
/// The run: seed, warm up, then each scenario followed by its pgbench baselines, then the open-loop runs. Every
/// scenario measures closed-loop load from the harness's HTTP clients, the host's and PostgreSQL's CPU and the host's
/// memory over exactly that load, and checks its invariants with SQL before anything else touches the data.
/// </summary>
internal sealed partial class Bench(BenchOptions options, HostUnderTest host, NpgsqlDataSource db, RssSampler rss)
{
    /// <summary>Price of every bench product, in won: members start with enough points for a thousand of them.</summary>
    private const long Price = 1_000;

    /// <summary>pgbench's checkouts and charges use wallets of member ids far above any member row's.</summary>
    private const long PgbenchFirstMember = 1_000_000_000;

    private const int PgbenchMembers = 100_000;

    private static readonly byte[] ChargeBody = "{\"amount\":1000}"u8.ToArray();

    private readonly Seed _seed = new(db);
    private readonly List<Row> _rows = [];
    private readonly List<string> _notes = [];
    private readonly Dictionary<string, double> _closedLoopRates = [];
    private IReadOnlyList<BenchMember> _members = [];
    private long[] _spreadProducts = [];

    public IReadOnlyList<Row> Rows => _rows;

    public IReadOnlyList<string> Notes => _notes;

    public async Task RunAsync()
    {
        using (var seedingApi = new Api(host.BaseAddress, 16))
        {
            var started = Stopwatch.StartNew();
            Progress($"Seeding {options.Scaled(10_000)} members with tokens and {options.Scaled(1_000)} products");
            _members = await _seed.MembersAsync(seedingApi, options.Scaled(10_000), "bench");
            _spreadProducts = await _seed.ProductsAsync(options.Scaled(1_000), Price, 1_000, "Spread product");
            await _seed.WalletsAsync(PgbenchFirstMember, PgbenchMembers);
            _notes.Add($"Seeding {_members.Count} members (rows by SQL, tokens by HTTP login) and {_spreadProducts.Length} products took {started.Elapsed.TotalSeconds:0.0} s.");
            await WarmUpAsync(seedingApi);
        }

        if (options.Runs("coupon"))
        {
            await CouponRushAsync();
        }

        if (options.Runs("hot"))
        {
            await HotCheckoutAsync();
        }

        if (options.Runs("spread"))
        {
            await SpreadCheckoutAsync();
        }

        if (options.Runs("pay"))
        {
            await PlaceAndPayAsync();
        }

        if (options.Runs("charge"))
        {
            await ChargePointsAsync();
        }

        if (options.Runs("reads"))
        {
            await ReadsAsync();
        }

        if (options.Runs("open"))
        {
            await OpenLoopAsync();
        }

        if (options.Runs("overload"))
        {
            await OverloadAsync();
        }

        if (options.Runs("mixed"))
        {
            await MixedAsync();
        }

        await FinalChecksAsync();
    }

    /// <summary>
    /// Every endpoint the scenarios call, a thousand times, twice, on data of its own, each round followed by a wait
    /// until the host is idle. The runtime compiles hot methods again, optimised (tier 1), on a background thread:
    /// measured without this, the first scenario spends most of the host's CPU in the JIT (seen with perf), which a
    /// server that has been up for a while does not.
    /// </summary>
    private async Task WarmUpAsync(Api api)
    {
        var started = Stopwatch.StartNew();
        var count = Math.Min(1_000, _members.Count);
        var payProduct = (await _seed.ProductsAsync(1, Price, 1_000_000, "Warm-up pay product"))[0];
        for (var round = 1; round <= 2; round++)
        {
            Progress($"Warm-up round {round}: every endpoint {count} times");
            // Half the claims and checkouts succeed and half are refused, so both paths are warm.
            var campaign = await _seed.CampaignAsync(Math.Max(1, count / 2), $"Warm-up campaign {round}");
            var product = (await _seed.ProductsAsync(1, Price, Math.Max(1, count / 2), $"Warm-up product {round}"))[0];
            await Load.ClosedLoopAsync(count, 32, async i =>
            {
                var member = _members[i];
                await api.SendAsync(HttpMethod.Post, $"/api/coupons/{campaign}/issue", member.Token);
                await api.PostAsync("/api/orders/checkout", member.Token, Basket(product));
                await PlaceAndPayOnceAsync(api, member, payProduct);
                await api.SendAsync(HttpMethod.Post, "/api/me/points/charge", member.Token, ChargeBody, $"warm-up-{round}-{i}");
                await api.GetAsync($"/api/products/{_spreadProducts[i % _spreadProducts.Length]}");
                await api.GetAsync("/api/products/popular");
                return "done";
            });
            await WaitUntilHostIdleAsync();
        }

        _notes.Add($"Warm-up: 2 rounds of every endpoint {count} times at 32 clients, each until the host was idle again: {started.Elapsed.TotalSeconds:0} s.");
    }

    /// <summary>Until the host used under 2 % of a core for a second (its background JIT is done), at most 60 s.</summary>
    private async Task WaitUntilHostIdleAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            var before = ProcStats.CpuSeconds(host.Pid);
            await Task.Delay(1_000);
            if (ProcStats.CpuSeconds(host.Pid) - before < 0.02)
            {
                return;
            }
        }
    }

    private static object Basket(long productId) => new { items = new[] { new { productId, quantity = 1 } }, couponIds = Array.Empty<long>() };

    /// <summary>Closed-loop load over fresh keep-alive connections, with a checkpoint first so none lands mid-run.</summary>
    private async Task<(LoadResult Load, ResourceUse Use)> MeasureAsync(Api api, int count, int clients, Operation operation,
        [System.Runtime.CompilerServices.CallerMemberName] string scenario = "")
    {
        Progress($"{scenario.Replace("Async", "", StringComparison.Ordinal)}: {count} operations, {clients} clients");
        await api.OpenConnectionsAsync(clients);
        await ExecuteAsync("CHECKPOINT");
        var window = new ResourceWindow(host.Pid, host.PostmasterPid, rss);
        window.Start();
        var load = await Load.ClosedLoopAsync(count, clients, operation);
        return (load, window.Stop() with { OutboxBacklog = await OutboxBacklogAsync() });
    }

    /// <summary>Events written but not yet delivered: a rate the relay does not keep up with leaves them for the next run.</summary>
    private Task<long> OutboxBacklogAsync() =>
        ScalarAsync<long>("SELECT count(*) FROM platform.outbox WHERE delivered_at IS NULL AND dead_lettered_at IS NULL");

    /// <summary>A row for a run: errors are the outcomes the scenario does not expect (5xx, timeouts, transport failures...).</summary>
    private static Row ApiRow(string scenario, int clients, LoadResult load, ResourceUse use, HashSet<string> expected, Invariant invariant,
        Func<int, bool>? include = null, double? seconds = null)
    {
        var indexes = Enumerable.Range(0, load.Count).Where(i => include is null || include(i)).ToList();
        var counts = indexes.GroupBy(i => load.Outcomes[i]).OrderByDescending(g => g.Count()).ToDictionary(g => g.Key, g => g.Count());
        var errors = counts.Where(c => !expected.Contains(c.Key)).Sum(c => c.Value);
        return new Row(scenario, clients, indexes.Count, Report.Outcomes(counts), indexes.Count / (seconds ?? load.Seconds),
            load.LatenciesMs(include), errors, invariant.Text, use) { InvariantHolds = invariant.Holds };
    }

    /// <summary>
    /// The phase in which the limited thing (coupons, stock) is handed out: from the first request to the last success.
    /// Its rate is what pgbench's script, which never runs out, is compared with.
    /// </summary>
    private static (double Seconds, Func<int, bool> Include) Phase(LoadResult load, string success)
    {
        var end = Enumerable.Range(0, load.Count).Where(i => load.Outcomes[i] == success).Select(i => load.Ended[i]).DefaultIfEmpty(0).Max();
        return (LoadResult.ToMs(end) / 1000, i => load.Ended[i] <= end);
    }

    /// <summary>
    /// pgbench at 8 clients (simple and prepared protocol) and at the scenario's concurrency (as far as max_connections
    /// allows), one row each; the ratio column divides the API's rate by each.
    /// </summary>
    private async Task<List<PgbenchResult>> PgbenchAsync(string title, string script, int scenarioClients, double apiRate, Func<Task<Dictionary<string, object>>> variables)
    {
        var results = new List<PgbenchResult>();
        if (options.SkipPgbench)
        {
            return results;
        }

        foreach (var (wanted, prepared) in new[] { (8, false), (8, true), (scenarioClients, false) })
        {
            var clients = Math.Min(wanted, await FreeConnectionsAsync());
            var vars = await variables();
            var protocol = prepared ? "prepared" : "simple";
            Progress($"pgbench {script}, {protocol}, {clients} clients, {options.PgbenchSeconds} s");
            await ExecuteAsync("CHECKPOINT");
            var window = new ResourceWindow(host.Pid, host.PostmasterPid, rss);
            window.Start();
            var result = await Pgbench.RunAsync(host, options.PgbenchScript(script), prepared, clients, options.PgbenchSeconds, vars);
            var use = window.Stop();
            var label = clients < wanted ? $"{clients} (of {wanted}: max_connections)" : clients.ToString();
            _rows.Add(new Row($"pgbench: {title}, {protocol}, {label} clients", clients, result.Transactions,
                $"committed ×{result.Transactions}, failed ×{result.Failed}", result.Tps, result.LatenciesMs, result.Failed, "–", use,
                apiRate > 0 && result.Tps > 0 ? $"{apiRate / result.Tps:0.00}×" : ""));
            results.Add(result);
        }

        return results;
    }

    /// <summary>Connections pgbench may open: max_connections less those open now (the host's pool) and a margin.</summary>
    private async Task<int> FreeConnectionsAsync()
    {
        await using var connection = await db.OpenConnectionAsync();
        var max = await connection.ExecuteScalarAsync<int>("SELECT current_setting('max_connections')::int");
        var open = await connection.ExecuteScalarAsync<int>("SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend'");
        return Math.Max(1, max - open - 10);
    }

    private static void Progress(string message) => Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

    private async Task ExecuteAsync(string sql, object? parameters = null)
    {
        await using var connection = await db.OpenConnectionAsync();
        // Text always: Dapper would take a lone word such as CHECKPOINT for a stored procedure's name.
        await connection.ExecuteAsync(sql, parameters, commandType: System.Data.CommandType.Text);
    }

    private async Task<T> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = await db.OpenConnectionAsync();
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    /// <summary>Checks that hold across the whole run, whatever ran: balances equal ledgers, no stock below zero.</summary>
    private async Task FinalChecksAsync()
    {
        var walletsOff = await ScalarAsync<long>("""
            SELECT count(*) FROM points.wallets w
            WHERE w.balance <> coalesce((SELECT sum(amount) FROM points.ledger l WHERE l.member_id = w.member_id), 0)
              AND w.member_id < @PgbenchFirstMember
            """, new { PgbenchFirstMember });
        var negative = await ScalarAsync<long>("SELECT count(*) FROM catalog.products WHERE stock < 0");
        var wallets = await ScalarAsync<long>("SELECT count(*) FROM points.wallets WHERE member_id < @PgbenchFirstMember", new { PgbenchFirstMember });
        _notes.Add($"End of run: {wallets} member wallets, {walletsOff} whose balance differs from its ledger; {negative} products below zero stock.");
        if (walletsOff > 0 || negative > 0)
        {
            _rows.Add(new Row("END OF RUN CHECK", 0, 0, "", 0, [], 0, "✗ balances or stock broken", new ResourceUse(0, 0, 0, 0)) { InvariantHolds = false });
        }
    }
}

/// <summary>An invariant check's verdict and what it compared.</summary>
internal sealed record Invariant(bool Holds, string Text)
{
    public static Invariant Check(bool holds, string text) => new(holds, (holds ? "✓ " : "✗ ") + text);
}

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
    /// <summary>The longest the harness waits for the relay to drain the outbox between runs.</summary>
    private static readonly TimeSpan MaxDrain = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Write clients in the sustained runs: the host admits 32 writes at once (four times its pool of 8) and queues the
    /// rest for at most 300 ms before it sheds them, so 32 clients keep every admitted slot busy without being shed.
    /// </summary>
    internal const int WriteClients = 32;

    /// <summary>Read clients: the host admits 32 reads per core at once (64 here).</summary>
    internal const int ReadClients = 64;

    private readonly Dictionary<string, double> _sustainedRates = [];
    private IReadOnlyList<BenchMember> _members = [];
    private long[] _spreadProducts = [];

    public IReadOnlyList<Row> Rows => _rows;

    public IReadOnlyList<string> Notes => _notes;

    public async Task RunAsync()
    {
        // The harness's own throwaway cluster: log every autovacuum run, so each open loop can list what PostgreSQL did
        // meanwhile (PostgresLog). Logging costs a line per run; the jobs run the same either way.
        await ExecuteAsync("ALTER SYSTEM SET log_autovacuum_min_duration = 0");
        await ExecuteAsync("SELECT pg_reload_conf()");
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

    /// <summary>
    /// A sustained run: the outbox drained first (so the run pays for its own events only), then a closed loop at
    /// <paramref name="clients"/> for <see cref="BenchOptions.SustainedSeconds"/>, the backlog read the moment the load
    /// stops, then the wait until the relay has drained it (so the next run, and pgbench, do not pay for it).
    /// </summary>
    private async Task<(LoadResult Load, ResourceUse Use, OutboxFlow Flow)> SustainAsync(Api api, int clients, int maxCount, Operation operation,
        [System.Runtime.CompilerServices.CallerMemberName] string scenario = "")
    {
        var name = scenario.Replace("Async", "", StringComparison.Ordinal);
        await DrainOutboxAsync(name);
        Progress($"{name}: {clients} clients for {options.SustainedSeconds} s");
        await api.OpenConnectionsAsync(clients);
        await ExecuteAsync("CHECKPOINT");
        var lastSeq = await ScalarAsync<long>("SELECT coalesce(max(seq), 0) FROM platform.outbox");
        var before = await OutboxBacklogAsync();
        var window = new ResourceWindow(host.Pid, host.PostmasterPid, rss);
        window.Start();
        var load = await Load.ClosedLoopForAsync(TimeSpan.FromSeconds(options.SustainedSeconds), clients, maxCount, operation);
        var use = window.Stop();
        var after = await OutboxBacklogAsync();
        var written = await ScalarAsync<long>("SELECT count(*) FROM platform.outbox WHERE seq > @LastSeq", new { LastSeq = lastSeq });
        var drain = await DrainOutboxAsync();
        await NoteRelayAsync(name, lastSeq, load.Seconds);
        return (load, use with { OutboxBacklog = after }, new OutboxFlow(before, written, after, drain));
    }

    /// <summary>
    /// The rule for "sustained" (BENCHMARKS.md): the run lasted its full time, nothing was shed or failed, and the
    /// outbox backlog the moment the load stopped is at most one second's worth of the events the run wrote. If the
    /// backlog is larger, the relay did not keep up, and the sustained rate is what the relay delivered in the run
    /// (events drained per second ÷ events per operation), not what the API answered.
    /// </summary>
    private Sustainment Rule(LoadResult load, int clients, int succeeded, int shed, int errors, OutboxFlow flow, string unit)
    {
        var seconds = load.Seconds;
        var apiRate = succeeded / seconds;
        var problems = new List<string>();
        if (seconds < options.SustainedSeconds)
        {
            problems.Add($"ran out of seeded data after {seconds:0.0} s");
        }

        if (shed > 0)
        {
            problems.Add($"{shed} shed at {clients} clients");
        }

        if (errors > 0)
        {
            problems.Add($"{errors} errors");
        }

        var oneSecond = flow.Written / seconds;
        var eventsPerOperation = succeeded > 0 ? (double)flow.Written / succeeded : 0;
        var rate = apiRate;
        string outbox;
        if (flow.Written == 0 && flow.After == 0)
        {
            outbox = "writes no events";
        }
        else if (flow.After <= Math.Ceiling(oneSecond))
        {
            outbox = $"backlog {flow.After} ≤ 1 s of events ({oneSecond:0}: {eventsPerOperation:0.#} per {unit} at {apiRate:0}/s)";
        }
        else
        {
            var drainedPerSecond = (flow.Before + flow.Written - flow.After) / seconds;
            rate = eventsPerOperation > 0 ? Math.Min(apiRate, drainedPerSecond / eventsPerOperation) : apiRate;
            problems.Add($"backlog {flow.After} > 1 s of events ({oneSecond:0}: {eventsPerOperation:0.#} per {unit} at {apiRate:0}/s); " +
                         $"the relay drained {drainedPerSecond:0}/s = {rate:0} {unit}s/s");
            outbox = "";
        }

        var drained = flow.Drain.Events == 0 ? "" : flow.Drain.Complete
            ? $"; after the load the relay drained {flow.Drain.Events} in {flow.Drain.Seconds:0.0} s" + (flow.Drain.Seconds >= 1 ? $" ({flow.Drain.Events / flow.Drain.Seconds:0}/s)" : "")
            : $"; after the load the relay drained {flow.Drain.Events} in {flow.Drain.Seconds:0} s and gave up waiting";
        var head = $"{seconds:0.0} s at {clients} clients";
        var text = problems.Count == 0
            ? $"✓ {head}, none shed, {outbox}{drained}"
            : $"✗ {head}: {string.Join("; ", problems)}{(outbox.Length > 0 ? "; " + outbox : "")}{drained}";
        return new Sustainment(rate, problems.Count == 0, text);
    }

    /// <summary>
    /// Until the relay has delivered every pending event (at most a few minutes): what it drained, how fast. Before a
    /// run (<paramref name="before"/> names it) a backlog of a hundred or more is noted: pgbench's checkout and charge
    /// scripts write the handler's outbox row too, and the host's relay delivers those as well.
    /// </summary>
    private async Task<Drain> DrainOutboxAsync(string? before = null)
    {
        var started = Stopwatch.StartNew();
        var first = await OutboxBacklogAsync();
        if (first > 0)
        {
            Progress($"Waiting for the relay to deliver {first} pending outbox events");
        }

        var backlog = first;
        while (backlog > 0 && started.Elapsed < MaxDrain)
        {
            await Task.Delay(100);
            backlog = await OutboxBacklogAsync();
        }

        var drain = new Drain(first - backlog, started.Elapsed.TotalSeconds, backlog == 0);
        // A few events are the previous run's last second; hundreds are a relay that fell behind, worth a note.
        if (before is not null && first >= 100)
        {
            _notes.Add($"Before {before}: the relay delivered {drain.Events} pending events (pgbench's, or the previous run's) in {drain.Seconds:0.0} s " +
                       $"({drain.Events / Math.Max(drain.Seconds, 0.001):0}/s){(drain.Complete ? "" : $"; {backlog} still pending after {MaxDrain.TotalMinutes:0} min")}.");
        }

        return drain;
    }

    /// <summary>
    /// How the relay delivered a run's events: a batch records all its outcomes with one timestamp, so the distinct
    /// delivered_at values are its batches; the lag is from the command's clock (before its commit) to that record.
    /// </summary>
    private async Task NoteRelayAsync(string name, long lastSeq, double seconds)
    {
        await using var connection = await db.OpenConnectionAsync();
        var relay = await connection.QuerySingleAsync<(long Batches, long Events, double P50, double P95, double Max)>("""
            SELECT count(DISTINCT delivered_at), count(*),
                   coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag), 0), coalesce(percentile_cont(0.95) WITHIN GROUP (ORDER BY lag), 0), coalesce(max(lag), 0)
            FROM (SELECT delivered_at, extract(epoch FROM delivered_at - occurred_at)::float8 * 1000 AS lag
                  FROM platform.outbox WHERE seq > @LastSeq AND delivered_at IS NOT NULL) d
            """, new { LastSeq = lastSeq });
        if (relay.Events > 0)
        {
            _notes.Add($"Relay during {name}: {relay.Events} events in {relay.Batches} batches ({relay.Batches / seconds:0}/s, {(double)relay.Events / relay.Batches:0.0} events per batch); " +
                       $"lag from command to delivery p50 {relay.P50:0} ms, p95 {relay.P95:0} ms, max {relay.Max:0} ms.");
        }
    }

    /// <summary>Events written but not yet delivered: a rate the relay does not keep up with leaves them for the next run.</summary>
    private Task<long> OutboxBacklogAsync() =>
        ScalarAsync<long>("SELECT count(*) FROM platform.outbox WHERE delivered_at IS NULL AND dead_lettered_at IS NULL");

    /// <summary>A row for a run: errors are the outcomes the scenario does not expect (5xx, timeouts, transport failures...).</summary>
    private static Row ApiRow(string scenario, int clients, LoadResult load, ResourceUse use, HashSet<string> expected, Invariant invariant,
        Func<int, bool>? include = null, double? seconds = null, Sustainment? sustained = null)
    {
        var indexes = Enumerable.Range(0, load.Count).Where(i => include is null || include(i)).ToList();
        var counts = indexes.GroupBy(i => load.Outcomes[i]).OrderByDescending(g => g.Count()).ToDictionary(g => g.Key, g => g.Count());
        var errors = counts.Where(c => !expected.Contains(c.Key)).Sum(c => c.Value);
        return new Row(scenario, clients, indexes.Count, Report.Outcomes(counts), indexes.Count / (seconds ?? load.Seconds),
            load.LatenciesMs(include), errors, invariant.Text, use)
        {
            InvariantHolds = invariant.Holds,
            Sustained = sustained,
        };
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
            await DrainOutboxAsync($"pgbench {title}, {protocol}, {clients} clients");
            Progress($"pgbench {script}, {protocol}, {clients} clients, {options.PgbenchSeconds} s");
            await ExecuteAsync("CHECKPOINT");
            var window = new ResourceWindow(host.Pid, host.PostmasterPid, rss);
            window.Start();
            var result = await Pgbench.RunAsync(host, options.PgbenchScript(script), prepared, clients, options.PgbenchSeconds, vars);
            // The checkout and charge scripts write the handler's outbox row: the backlog shows whether the relay kept up with pgbench.
            var use = window.Stop() with { OutboxBacklog = await OutboxBacklogAsync() };
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

/// <summary>The outbox over a sustained run: pending before, written during, pending the moment the load stopped, and the drain after.</summary>
internal sealed record OutboxFlow(long Before, long Written, long After, Drain Drain);

/// <summary>Events the relay delivered after a run, in how long, and whether it got to zero.</summary>
internal sealed record Drain(long Events, double Seconds, bool Complete);

/// <summary>A sustained run's rate (what the API answered, or what the relay drained if it fell behind) and the rule's verdict.</summary>
internal sealed record Sustainment(double PerSecond, bool Met, string Text);

/// <summary>An invariant check's verdict and what it compared.</summary>
internal sealed record Invariant(bool Holds, string Text)
{
    public static Invariant Check(bool holds, string text) => new(holds, (holds ? "✓ " : "✗ ") + text);
}

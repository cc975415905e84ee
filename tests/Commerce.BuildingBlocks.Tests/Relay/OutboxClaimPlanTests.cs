using System.Text.Json;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Testing;
using Npgsql;

namespace Commerce.BuildingBlocks.Tests.Relay;

/// <summary>
/// The claim's head check must probe its stream's index whatever the planner believes about the pending rows. Its
/// partial indexes look empty to the planner on a new database and whenever their statistics were taken while the relay
/// was caught up; the plan it then chose scanned every pending row once per claimed row, so a backlog of 20,000 events
/// drained at about 260 a second and grew on itself (migration 0003).
/// </summary>
public sealed class OutboxClaimPlanTests
{
    // 20,000 events in 15,000 streams.
    private const string InsertBacklogSql = """
        INSERT INTO platform.outbox (id, stream_id, type, version, occurred_at, payload)
        SELECT gen_random_uuid(), 'member-' || (i % 15000), 'PointsCharged', 1, now(), '{"amount": 1000}'::jsonb
        FROM generate_series(1, 20000) i
        """;

    [Theory]
    [InlineData("force_generic_plan")]
    [InlineData("force_custom_plan")]
    public async Task A_backlog_the_statistics_do_not_know_about_is_claimed_by_probing_each_rows_stream(string planCacheMode)
    {
        var database = await TestPostgres.CreateDatabaseAsync();

        // A new database: the indexes were created empty and nothing has been analyzed.
        await ExecuteAsync(database, InsertBacklogSql);
        AssertProbes(await ExplainClaimAsync(database, planCacheMode));

        // The normal state: statistics taken while nothing was pending, then a backlog.
        await ExecuteAsync(database, "UPDATE platform.outbox SET delivered_at = now(), attempts = 1");
        await ExecuteAsync(database, "VACUUM ANALYZE platform.outbox");
        await ExecuteAsync(database, InsertBacklogSql);
        AssertProbes(await ExplainClaimAsync(database, planCacheMode));

        // An outage: the first half of the backlog waits for a retry, so the walk passes 10,000 rows before a due one.
        await ExecuteAsync(database, """
            UPDATE platform.outbox SET attempts = 1, next_attempt_at = now() + interval '1 hour'
            WHERE seq IN (SELECT seq FROM platform.outbox WHERE delivered_at IS NULL ORDER BY seq LIMIT 10000)
            """);
        AssertProbes(await ExplainClaimAsync(database, planCacheMode), maxBuffers: 40_000);
    }

    private static void AssertProbes(JsonElement plan, int maxBuffers = 2_000)
    {
        var scans = Nodes(plan.GetProperty("Plan")).Where(n => n.TryGetProperty("Alias", out var alias) && alias.GetString() == "earlier").ToList();
        var scan = Assert.Single(scans);
        Assert.Equal("outbox_stream_pending_idx", scan.GetProperty("Index Name").GetString());
        Assert.Contains("stream_id", scan.GetProperty("Index Cond").GetString(), StringComparison.Ordinal);
        Assert.True(scan.GetProperty("Actual Rows").GetDouble() <= 1, $"the head check read {scan.GetProperty("Actual Rows")} rows per claimed row");
        Assert.Equal(32, plan.GetProperty("Plan").GetProperty("Actual Rows").GetInt32());
        // The old plan read about 27,000 buffers for these 32 rows.
        var buffers = plan.GetProperty("Plan").GetProperty("Shared Hit Blocks").GetInt32() + plan.GetProperty("Plan").GetProperty("Shared Read Blocks").GetInt32();
        Assert.True(buffers < maxBuffers, $"the claim read {buffers} buffers");
    }

    private static IEnumerable<JsonElement> Nodes(JsonElement node) =>
        node.TryGetProperty("Plans", out var children) ? [node, .. children.EnumerateArray().SelectMany(Nodes)] : [node];

    private static async Task<JsonElement> ExplainClaimAsync(string database, string planCacheMode)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        var claim = OutboxRelay.ClaimSql.Replace("@Now", "$1", StringComparison.Ordinal).Replace("@BatchSize", "$2", StringComparison.Ordinal);
        await using (var prepare = new NpgsqlCommand($"SET LOCAL plan_cache_mode = {planCacheMode}; PREPARE claim(timestamptz, int) AS {claim}", connection, tx))
        {
            await prepare.ExecuteNonQueryAsync();
        }

        await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE claim(now(), 32)", connection, tx);
        var json = (string)(await explain.ExecuteScalarAsync())!;
        await tx.RollbackAsync();
        return JsonDocument.Parse(json).RootElement[0].Clone();
    }

    private static async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

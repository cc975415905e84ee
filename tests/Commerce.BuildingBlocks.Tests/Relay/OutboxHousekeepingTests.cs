using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.BuildingBlocks.Tests.Relay;

public sealed class OutboxHousekeepingTests
{
    [Fact]
    public async Task Retention_removes_only_delivered_rows_past_it_and_two_instances_sweeping_at_once_remove_each_exactly_once()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        var sql = new Sql(database);
        await sql.ExecuteAsync("""
            INSERT INTO platform.outbox (id, stream_id, type, version, occurred_at, payload, delivered_at, dead_lettered_at)
            SELECT gen_random_uuid(), 'old-' || i, 'T', 1, now() - interval '9 days', '{}'::jsonb, now() - interval '8 days', NULL::timestamptz FROM generate_series(1, 12000) i
            UNION ALL
            SELECT gen_random_uuid(), 'recent-' || i, 'T', 1, now() - interval '2 days', '{}', now() - interval '1 day', NULL FROM generate_series(1, 10) i
            UNION ALL
            SELECT gen_random_uuid(), 'pending-' || i, 'T', 1, now() - interval '9 days', '{}', NULL, NULL FROM generate_series(1, 5) i
            UNION ALL
            SELECT gen_random_uuid(), 'dead-' || i, 'T', 1, now() - interval '9 days', '{}', NULL, now() - interval '8 days' FROM generate_series(1, 5) i
            """);
        await using var a = RelayInstance.Create(database, RelayInstance.Settings(null), "cleanup-a");
        await using var b = RelayInstance.Create(database, RelayInstance.Settings(null), "cleanup-b");

        var removed = await Concurrently.RunAsync(2, async i =>
        {
            var instance = i == 0 ? a : b;
            await using var scope = instance.Services.CreateAsyncScope();
            return await instance.Services.GetRequiredService<OutboxCleanup>().RemoveDeliveredAsync(scope.ServiceProvider.GetRequiredService<DbSession>(), CancellationToken.None);
        });

        Assert.Equal(12_000, removed.Sum());
        var left = await sql.QueryAsync<string>("SELECT DISTINCT split_part(stream_id, '-', 1) FROM platform.outbox ORDER BY 1");
        Assert.Equal(["dead", "pending", "recent"], left);
        Assert.Equal(20, await sql.ScalarAsync<long>("SELECT count(*) FROM platform.outbox"));
    }

    [Fact]
    public void Backoff_doubles_per_attempt_up_to_the_cap_with_jitter_between_half_and_the_whole_delay()
    {
        var initial = TimeSpan.FromSeconds(1);
        var max = TimeSpan.FromMinutes(5);
        for (var attempt = 1; attempt <= 40; attempt++)
        {
            var nominal = Math.Min(Math.Pow(2, attempt - 1), 300);
            for (var sample = 0; sample < 50; sample++)
            {
                var delay = OutboxRelay.Backoff(attempt, initial, max).TotalSeconds;
                Assert.InRange(delay, nominal / 2, nominal);
            }
        }
    }
}

using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Hosting;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.BuildingBlocks.Outbox;

/// <summary>
/// Deletes delivered rows past <see cref="OutboxOptions.Retention"/>. Pending rows and dead letters are never
/// touched. Safe on every instance at once: each round deletes a bounded slice, skipping rows another instance
/// is already deleting.
/// </summary>
internal sealed class OutboxCleanup(
    IServiceScopeFactory scopes,
    IOptions<OutboxOptions> options,
    TimeProvider clock,
    ILogger<OutboxCleanup> logger) : PeriodicJob(scopes, logger)
{
    private const int SliceSize = 5_000;

    private const string DeleteSql = """
        DELETE FROM platform.outbox WHERE id IN (
            SELECT id FROM platform.outbox
            WHERE delivered_at < @Cutoff
            ORDER BY delivered_at
            LIMIT @SliceSize
            FOR UPDATE SKIP LOCKED)
        """;

    protected override TimeSpan Interval => options.Value.CleanupInterval;

    protected override async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var deleted = await RemoveDeliveredAsync(services.GetRequiredService<DbSession>(), ct);
        if (deleted > 0)
        {
            logger.LogInformation("Removed {Count} delivered outbox rows older than {Retention}", deleted, options.Value.Retention);
        }
    }

    /// <summary>Deletes every delivered row past retention, slice by slice (the connection back in the pool between
    /// two); returns how many.</summary>
    internal async Task<int> RemoveDeliveredAsync(DbSession session, CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow() - options.Value.Retention;
        var total = 0;
        int deleted;
        do
        {
            deleted = await session.RunAsync(s => s.Connection.ExecuteAsync(s.Command(DeleteSql, new { Cutoff = cutoff, SliceSize }, ct)), ct);
            total += deleted;
        }
        while (deleted == SliceSize);

        return total;
    }
}

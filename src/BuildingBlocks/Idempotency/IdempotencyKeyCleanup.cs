using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.BuildingBlocks.Idempotency;

/// <summary>Deletes idempotency keys past their retention. Safe to run on every instance at once.</summary>
internal sealed class IdempotencyKeyCleanup(
    NpgsqlDataSource dataSource,
    IOptions<IdempotencyOptions> options,
    TimeProvider clock,
    ILogger<IdempotencyKeyCleanup> logger) : BackgroundService
{
    private const string DeleteSql = "DELETE FROM platform.idempotency_keys WHERE created_at < $1";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var retention = settings.Retention < TimeSpan.FromHours(24) ? TimeSpan.FromHours(24) : settings.Retention;
        using var timer = new PeriodicTimer(settings.CleanupInterval, clock);
        do
        {
            try
            {
                await using var command = dataSource.CreateCommand(DeleteSql);
                command.Parameters.AddWithValue(clock.GetUtcNow() - retention);
                var deleted = await command.ExecuteNonQueryAsync(stoppingToken);
                if (deleted > 0)
                {
                    logger.LogInformation("Removed {Count} idempotency keys older than {Retention}", deleted, retention);
                }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                logger.LogWarning(e, "Idempotency key cleanup failed; it runs again in {Interval}", settings.CleanupInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

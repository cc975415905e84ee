using Commerce.BuildingBlocks.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.BuildingBlocks.Idempotency;

/// <summary>Deletes idempotency keys past their retention. Safe to run on every instance at once.</summary>
internal sealed class IdempotencyKeyCleanup(
    IServiceScopeFactory scopes,
    NpgsqlDataSource dataSource,
    IOptions<IdempotencyOptions> options,
    TimeProvider clock,
    ILogger<IdempotencyKeyCleanup> logger) : PeriodicJob(scopes, logger)
{
    private const string DeleteSql = "DELETE FROM platform.idempotency_keys WHERE created_at < $1";

    protected override TimeSpan Interval => options.Value.CleanupInterval;

    protected override async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var retention = options.Value.Retention < TimeSpan.FromHours(24) ? TimeSpan.FromHours(24) : options.Value.Retention;
        await using var command = dataSource.CreateCommand(DeleteSql);
        command.Parameters.AddWithValue(clock.GetUtcNow() - retention);
        var deleted = await command.ExecuteNonQueryAsync(ct);
        if (deleted > 0)
        {
            logger.LogInformation("Removed {Count} idempotency keys older than {Retention}", deleted, retention);
        }
    }
}

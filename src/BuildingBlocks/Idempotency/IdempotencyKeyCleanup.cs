using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Hosting;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.BuildingBlocks.Idempotency;

/// <summary>Deletes idempotency keys past their retention. Safe to run on every instance at once.</summary>
internal sealed class IdempotencyKeyCleanup(
    IServiceScopeFactory scopes,
    IOptions<IdempotencyOptions> options,
    TimeProvider clock,
    ILogger<IdempotencyKeyCleanup> logger) : PeriodicJob(scopes, logger)
{
    private const string DeleteSql = "DELETE FROM platform.idempotency_keys WHERE created_at < @Cutoff";

    protected override TimeSpan Interval => options.Value.CleanupInterval;

    protected override async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var retention = options.Value.Retention < TimeSpan.FromHours(24) ? TimeSpan.FromHours(24) : options.Value.Retention;
        var deleted = await services.GetRequiredService<DbSession>().RunAsync(
            s => s.Connection.ExecuteAsync(s.Command(DeleteSql, new { Cutoff = clock.GetUtcNow() - retention }, ct)), ct);
        if (deleted > 0)
        {
            logger.LogInformation("Removed {Count} idempotency keys older than {Retention}", deleted, retention);
        }
    }
}

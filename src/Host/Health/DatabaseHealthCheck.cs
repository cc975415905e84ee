using Commerce.BuildingBlocks.Data;
using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Commerce.Host.Health;

internal sealed class DatabaseHealthCheck(DbSession session) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await HealthRead.TryAsync(session, (s, ct) => s.RunAsync(open => open.Connection.QuerySingleAsync<string>(open.Command("SELECT 'up'", null, ct)), ct),
            cancellationToken) is null
            ? HealthCheckResult.Unhealthy("The database does not answer.")
            : HealthCheckResult.Healthy("The database answers.");
}

using Commerce.BuildingBlocks.Data;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Commerce.BuildingBlocks.Outbox;

/// <summary>
/// The outbox's figures in the readiness report. An old backlog means events are not reaching the data platform:
/// Degraded, not Unhealthy, since orders still work and nothing is lost. So is a platform that refuses us (401, 403,
/// 404 ...), at once: it will not heal by itself.
/// </summary>
internal sealed class OutboxHealthCheck(DbSession session, OutboxMetrics metrics, IOptions<OutboxOptions> options, TimeProvider clock) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (await HealthRead.TryAsync(session, metrics.RefreshBacklogAsync, cancellationToken) is not { } backlog)
        {
            return HealthCheckResult.Degraded("The outbox could not be read.");
        }

        var age = backlog.OldestPendingAgeSeconds(clock.GetUtcNow());
        var data = new Dictionary<string, object>
        {
            ["pending"] = backlog.Pending,
            ["oldestPendingAgeSeconds"] = age,
            ["deadLetters"] = backlog.DeadLetters,
            ["deliveredSinceStart"] = metrics.Delivered,
            ["failedSinceStart"] = metrics.Failed,
            ["deadLetteredSinceStart"] = metrics.DeadLettered,
        };
        var limit = options.Value.DegradedAfter;
        if (metrics.Refusal is { } refusal)
        {
            data["platformRefusingSince"] = refusal.Since;
            // The status line only: the platform's error body is no business of whoever reads the health report.
            var answer = refusal.LastError.Split(':')[0];
            data["platformLastAnswer"] = answer;
            return HealthCheckResult.Degraded($"The data platform refuses our deliveries since {refusal.Since:u} ({answer}): " +
                                              "check Commerce:DataPlatform:Url and its credentials; events are kept and retried.", data: data);
        }

        return age > limit.TotalSeconds
            ? HealthCheckResult.Degraded($"The oldest undelivered event is {age:0} s old (limit {limit.TotalSeconds:0} s): the data platform is not keeping up.", data: data)
            : HealthCheckResult.Healthy($"{backlog.Pending} event(s) waiting for the data platform.", data);
    }
}

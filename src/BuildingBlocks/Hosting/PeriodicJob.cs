using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Commerce.BuildingBlocks.Hosting;

/// <summary>
/// A background job that runs at start and then every <see cref="Interval"/>, each run in its own DI scope (so
/// it can send commands through the mediator). A failed run is logged and the job carries on: one bad run (the
/// database restarting, say) must not stop expiry or reconciliation for good. Safe on several instances as long
/// as the run claims its work with row locks (SKIP LOCKED).
/// </summary>
public abstract class PeriodicJob(IServiceScopeFactory scopes, ILogger logger) : BackgroundService
{
    protected abstract TimeSpan Interval { get; }

    protected abstract Task RunAsync(IServiceProvider services, CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await RunAsync(scope.ServiceProvider, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "{Job} failed; it runs again in {Interval}", GetType().Name, Interval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

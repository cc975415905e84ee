using Commerce.BuildingBlocks.Data;
using Microsoft.Extensions.Hosting;

namespace Commerce.BuildingBlocks.Hosting;

/// <summary>Registered before every other hosted service, so the schema is in place before anything
/// (the web server, the relay, the jobs) touches the database.</summary>
internal sealed class DatabaseInitializer(MigrationRunner migrations, IEnumerable<IStartupTask> tasks) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await migrations.MigrateAsync(cancellationToken);
        foreach (var task in tasks)
        {
            await task.RunAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

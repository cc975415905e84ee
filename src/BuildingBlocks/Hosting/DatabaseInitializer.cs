using System.Diagnostics;
using Commerce.BuildingBlocks.Data;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.BuildingBlocks.Hosting;

/// <summary>Registered before every other hosted service, so the schema is in place before anything
/// (the web server, the relay, the jobs) touches the database.</summary>
internal sealed partial class DatabaseInitializer(
    MigrationRunner migrations,
    IEnumerable<IStartupTask> tasks,
    IOptions<DatabaseOptions> options,
    ILogger<DatabaseInitializer> logger) : IHostedService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // A database that is still starting, restarting, or too busy to give a connection within the pool's Timeout is
        // waited for rather than a failed start (the instance started before its database, or beside a busy one). Every
        // step is safe to run again: migrations are journaled, and each task already runs on every start of every instance.
        // Wall time on purpose, not the host's TimeProvider: a start is not business time.
        var waited = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await migrations.MigrateAsync(cancellationToken);
                foreach (var task in tasks)
                {
                    await task.RunAsync(cancellationToken);
                }

                return;
            }
            catch (NpgsqlException e) when (e.IsTransient && waited.Elapsed + RetryDelay < options.Value.StartupWait)
            {
                LogDatabaseNotReady(logger, attempt, e.Message);
                await Task.Delay(RetryDelay, cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database is not ready (attempt {Attempt}: {Reason}); trying again in a second")]
    private static partial void LogDatabaseNotReady(ILogger logger, int attempt, string reason);
}

using Commerce.BuildingBlocks.Hosting;
using Commerce.Host;
using Commerce.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Commerce.BuildingBlocks.Tests;

public sealed class DatabaseInitializerTests
{
    /// <summary>Fails its first <paramref name="failures"/> runs with <paramref name="error"/>, then succeeds.</summary>
    private sealed class FlakyTask(int failures, Func<Exception> error) : IStartupTask
    {
        public int Runs { get; private set; }

        public Task RunAsync(CancellationToken ct) => ++Runs <= failures ? throw error() : Task.CompletedTask;
    }

    private static async Task<(ServiceProvider Services, IHostedService Initializer)> StartWithAsync(FlakyTask task, TimeSpan startupWait)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Commerce"] = await TestPostgres.CreateUnmigratedDatabaseAsync(),
                ["Commerce:Database:StartupWait"] = startupWait.ToString(),
            })
            .Build();
        var services = new ServiceCollection().AddLogging().AddCommerce(configuration).AddSingleton<IStartupTask>(task).BuildServiceProvider();
        return (services, services.GetServices<IHostedService>().OfType<DatabaseInitializer>().Single());
    }

    // What Npgsql throws when no connection comes within the connection string's Timeout (a busy or starting database).
    private static NpgsqlException ConnectTimeout() => new("Exception while connecting", new TimeoutException());

    [Fact]
    public async Task A_start_waits_out_a_database_that_times_out_connections()
    {
        var task = new FlakyTask(2, ConnectTimeout);
        var (services, initializer) = await StartWithAsync(task, TimeSpan.FromSeconds(30));
        await using var _ = services;

        await initializer.StartAsync(CancellationToken.None);

        Assert.Equal(3, task.Runs);
    }

    [Fact]
    public async Task A_start_gives_up_once_the_wait_is_over()
    {
        var task = new FlakyTask(int.MaxValue, ConnectTimeout);
        var (services, initializer) = await StartWithAsync(task, TimeSpan.FromSeconds(2.5));
        await using var _ = services;

        await Assert.ThrowsAsync<NpgsqlException>(() => initializer.StartAsync(CancellationToken.None));

        Assert.InRange(task.Runs, 2, 3);
    }

    [Fact]
    public async Task An_error_that_waiting_cannot_fix_fails_the_start_at_once()
    {
        var task = new FlakyTask(1, () => new InvalidOperationException("not transient"));
        var (services, initializer) = await StartWithAsync(task, TimeSpan.FromSeconds(30));
        await using var _ = services;

        await Assert.ThrowsAsync<InvalidOperationException>(() => initializer.StartAsync(CancellationToken.None));

        Assert.Equal(1, task.Runs);
    }
}

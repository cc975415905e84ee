using Commerce.BuildingBlocks.Outbox;
using Commerce.Testing;
using Commerce.Host;
using MediatR;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Commerce.BuildingBlocks.Tests.Relay;

/// <summary>
/// One host instance as far as the outbox is concerned: the product's composition with its own connection pool,
/// HTTP client, signal and relay, on a shared test database. Commands sent through it wake its own relay, as in
/// a real instance; other instances' relays find those events by polling.
/// </summary>
internal sealed class RelayInstance : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private bool _started;

    private RelayInstance(ServiceProvider provider, string name)
    {
        _provider = provider;
        Name = name;
    }

    public string Name { get; }

    public OutboxRelay Relay => _provider.GetRequiredService<OutboxRelay>();

    public OutboxMetrics Metrics => _provider.GetRequiredService<OutboxMetrics>();

    public IServiceProvider Services => _provider;

    /// <summary>Test defaults: short timeout and backoff, a slow poll (commits wake the relay), nothing dead-lettered by chance.</summary>
    public static Dictionary<string, string?> Settings(FakeDataPlatform? platform) => new()
    {
        ["Commerce:DataPlatform:Url"] = platform?.Url,
        ["Commerce:DataPlatform:Timeout"] = "00:00:00.250",
        ["Commerce:Outbox:Lanes"] = "4",
        ["Commerce:Outbox:BatchSize"] = "50",
        ["Commerce:Outbox:MaxConcurrency"] = "16",
        ["Commerce:Outbox:PollInterval"] = "00:00:00.200",
        ["Commerce:Outbox:InitialBackoff"] = "00:00:00.010",
        ["Commerce:Outbox:MaxBackoff"] = "00:00:00.200",
    };

    public static RelayInstance Create(string connectionString, IDictionary<string, string?> settings, string name = "relay", ILoggerProvider? logs = null)
    {
        var all = new Dictionary<string, string?>(settings)
        {
            // The name makes the instance's sessions findable in pg_stat_activity.
            ["ConnectionStrings:Commerce"] = new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = name }.ConnectionString,
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(all).Build();
        var services = new ServiceCollection()
            .AddLogging(logging =>
            {
                if (logs is not null)
                {
                    logging.AddProvider(logs);
                }
            })
            .AddSingleton<IConfiguration>(configuration)
            .AddCommerce(configuration)
            .AddCommerceModule("relay_tests", typeof(RelayInstance).Assembly);
        return new RelayInstance(services.BuildServiceProvider(), name);
    }

    public Task StartAsync()
    {
        _started = true;
        return Relay.StartAsync(CancellationToken.None);
    }

    /// <summary>Stops the relay as a host shutdown does: its token is cancelled, and it returns once the batch in hand is recorded.</summary>
    public async Task StopAsync()
    {
        if (_started)
        {
            _started = false;
            await Relay.StopAsync(CancellationToken.None);
        }
    }

    public async Task<T> SendAsync<T>(IRequest<T> request)
    {
        await using var scope = _provider.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IMediator>().Send(request);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _provider.DisposeAsync();
    }
}

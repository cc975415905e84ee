using Commerce.Testing;

namespace Commerce.Reliability.Tests;

/// <summary>
/// Three host processes on one database, each on its own loopback port with its own connection pool, outbox relay
/// and background jobs, as a load balancer would see them. Requests are spread over them round-robin. Placed orders
/// expire after 2 s and every instance runs the expiry job every half second, so they race for the same orders.
/// </summary>
public sealed class ThreeInstances : IAsyncLifetime
{
    private readonly string _dataDirectory = Instances.TemporaryDirectory("three");
    private HostProcess[] _hosts = [];
    private HttpClient[] _clients = [];

    internal SharedDatabase Database { get; private set; } = null!;

    internal FakeDataPlatform Platform { get; private set; } = null!;

    public IReadOnlyList<HostProcess> Hosts => _hosts;

    /// <summary>The client for the i-th request: round-robin over the instances.</summary>
    public HttpClient Client(int i) => _clients[i % _clients.Length];

    public async Task InitializeAsync()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync();
        Platform = await FakeDataPlatform.StartAsync();
        _hosts = await Instances.StartAsync(3, Instances.Settings(connectionString, Platform, _dataDirectory).With(
            ("Commerce__Orders__PaymentDeadline", "00:00:02"),
            ("Commerce__Orders__ExpiryInterval", "00:00:00.500")));
        _clients = _hosts.Select(h => h.CreateClient()).ToArray();
        Database = SharedDatabase.For(connectionString);
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await Task.WhenAll(_hosts.Select(h => h.DisposeAsync().AsTask()));
        await Database.DisposeAsync();
        await Platform.DisposeAsync();
        Instances.TryDelete(_dataDirectory);
    }
}

using Commerce.BuildingBlocks.Data;
using Commerce.Host;
using MediatR;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Commerce.Testing;

/// <summary>
/// The product's composition without HTTP, on a fresh database: handler tests send commands through
/// <see cref="IMediator"/> in a real DI scope, exactly as an endpoint does, then assert rows with <see cref="Sql"/>.
/// Use as an xunit class fixture.
/// </summary>
public class ModuleHost : IAsyncLifetime
{
    private ServiceProvider? _provider;

    public TestClock Clock { get; } = new();

    public Sql Sql { get; private set; } = null!;

    public IServiceProvider Services => _provider ?? throw new InvalidOperationException("Not initialised.");

    /// <summary>Settings on top of the defaults, e.g. <c>["Commerce:Points:MaxBalance"] = "100"</c>.</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    /// <summary>Extra registrations, e.g. test-only commands: <c>services.AddCommerceModule("test", assembly)</c>.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public async Task InitializeAsync()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync();
        Sql = new Sql(connectionString);
        var settings = new Dictionary<string, string?>(Settings) { ["ConnectionStrings:Commerce"] = connectionString };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddCommerce(configuration)
            .AddSingleton<TimeProvider>(Clock);
        ConfigureServices(services);
        _provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = false });
        DapperConventions.Apply();
    }

    /// <summary>Sends one request in its own scope, as one HTTP request would.</summary>
    public Task<TResponse> SendAsync<TResponse>(IRequest<TResponse> request) => Services.SendAsync(request);

    /// <summary>Runs <paramref name="work"/> with a scope whose DbSession holds an open transaction, then commits or rolls back.</summary>
    public Task<T> InTransactionAsync<T>(Func<IServiceProvider, Task<T>> work, bool commit = true) => Services.InTransactionAsync(work, commit);

    public async Task DisposeAsync()
    {
        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }
    }
}

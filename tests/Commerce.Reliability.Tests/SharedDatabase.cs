using System.Security.Claims;
using Commerce.BuildingBlocks.Data;
using Commerce.Host;
using Commerce.Testing;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commerce.Reliability.Tests;

/// <summary>
/// The database that host processes share, seen from the test process through the product's own composition
/// (no HTTP, no background services): <see cref="Services"/> arranges the shop with the product's commands
/// (<see cref="Shop"/>), and <see cref="TokenFor"/> mints bearer tokens every host accepts, because the Data
/// Protection key ring lives in the database. Mint only after a host has started: hosts create the first key.
/// </summary>
internal sealed class SharedDatabase : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private SharedDatabase(string connectionString, ServiceProvider provider)
    {
        ConnectionString = connectionString;
        Sql = new Sql(connectionString);
        _provider = provider;
    }

    public string ConnectionString { get; }

    public Sql Sql { get; }

    public IServiceProvider Services => _provider;

    public static SharedDatabase For(string connectionString)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Commerce"] = connectionString })
            .Build();
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddCommerce(configuration);
        services.AddAuthentication(BearerTokenDefaults.AuthenticationScheme).AddBearerToken();
        DapperConventions.Apply();
        return new SharedDatabase(connectionString, services.BuildServiceProvider());
    }

    public string TokenFor(long memberId, string role = "member")
    {
        var options = _provider.GetRequiredService<IOptionsMonitor<BearerTokenOptions>>().Get(BearerTokenDefaults.AuthenticationScheme);
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, memberId.ToString()), new Claim(ClaimTypes.Role, role)],
            BearerTokenDefaults.AuthenticationScheme);
        var now = DateTimeOffset.UtcNow;
        var properties = new AuthenticationProperties { IssuedUtc = now, ExpiresUtc = now.AddHours(1) };
        return options.BearerTokenProtector.Protect(new AuthenticationTicket(new ClaimsPrincipal(identity), properties, BearerTokenDefaults.AuthenticationScheme));
    }

    /// <summary>Members with a bearer token each and, when <paramref name="points"/> is positive, that many points charged.</summary>
    public async Task<IReadOnlyList<Shopper>> ShoppersAsync(int count, long points = 0)
    {
        var members = await TestMembers.InsertAsync(Sql, count);
        if (points > 0)
        {
            foreach (var member in members)
            {
                await Services.ChargeAsync(member.Id, points);
            }
        }

        return members.Select(m => new Shopper(m.Id, TokenFor(m.Id))).ToList();
    }

    public ValueTask DisposeAsync() => _provider.DisposeAsync();
}

internal sealed record Shopper(long Id, string Token);

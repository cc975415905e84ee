using Commerce.BuildingBlocks.Data;
using Commerce.Host;
using Commerce.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.BuildingBlocks.Tests;

public sealed class MigrationRunnerTests
{
    private static ServiceProvider Composition(string connectionString)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Commerce"] = connectionString })
            .Build();
        return new ServiceCollection().AddLogging().AddCommerce(configuration).BuildServiceProvider();
    }

    private static int MigrationsInCode(IServiceProvider services) =>
        services.GetServices<CommerceModule>().Sum(m => MigrationRunner.Discover(m).Count());

    [Fact]
    public async Task Two_concurrent_starts_apply_each_migration_exactly_once()
    {
        var connectionString = await TestPostgres.CreateUnmigratedDatabaseAsync();
        await using var first = Composition(connectionString);
        await using var second = Composition(connectionString);

        var applied = await Concurrently.RunAsync(2, i =>
            (i == 0 ? first : second).GetRequiredService<MigrationRunner>().MigrateAsync(CancellationToken.None));

        var expected = MigrationsInCode(first);
        Assert.True(expected >= 3);
        Assert.Equal(expected, applied.Sum());
        var sql = new Sql(connectionString);
        Assert.Equal(expected, await sql.ScalarAsync<long>("SELECT count(*) FROM platform.schema_migrations"));
        Assert.Equal(expected, await sql.ScalarAsync<long>("SELECT count(DISTINCT (module, version)) FROM platform.schema_migrations"));
    }

    [Fact]
    public async Task A_second_start_applies_nothing()
    {
        await using var services = Composition(await TestPostgres.CreateUnmigratedDatabaseAsync());
        var runner = services.GetRequiredService<MigrationRunner>();
        await runner.MigrateAsync(CancellationToken.None);

        Assert.Equal(0, await runner.MigrateAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_migration_changed_after_it_was_applied_stops_the_start()
    {
        var connectionString = await TestPostgres.CreateUnmigratedDatabaseAsync();
        await using var services = Composition(connectionString);
        var runner = services.GetRequiredService<MigrationRunner>();
        await runner.MigrateAsync(CancellationToken.None);
        // As if the file had been edited: the journal's checksum no longer matches the embedded SQL.
        await new Sql(connectionString).ExecuteAsync("UPDATE platform.schema_migrations SET checksum = 'edited' WHERE module = 'points' AND version = 1");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => runner.MigrateAsync(CancellationToken.None));

        Assert.Contains("points/0001_create_schema.sql was changed after it was applied", error.Message);
    }
}

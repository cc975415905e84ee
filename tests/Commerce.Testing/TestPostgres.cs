using System.Diagnostics;
using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Hosting;
using Commerce.Host;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Commerce.Testing;

/// <summary>
/// One throwaway PostgreSQL cluster per test process (non-durable settings: it is thrown away), a template
/// database migrated once, and a fresh database cloned from it for every test class. Set
/// COMMERCE_TEST_DATABASE to an admin connection string to use an existing server instead.
/// </summary>
public static class TestPostgres
{
    public const string ExistingServerVariable = "COMMERCE_TEST_DATABASE";
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "commerce-tests");
    private static readonly Lazy<Task<Server>> Shared = new(StartAsync);
    private static int _databases;

    private sealed record Server(string AdminConnectionString, string Template, EmbeddedPostgres? Embedded);

    /// <summary>A new, migrated, empty database; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync() => await CreateAsync(migrated: true);

    /// <summary>A new database without any schema (for migration tests).</summary>
    public static async Task<string> CreateUnmigratedDatabaseAsync() => await CreateAsync(migrated: false);

    private static async Task<string> CreateAsync(bool migrated)
    {
        var server = await Shared.Value;
        var name = $"test_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        await using (var admin = new NpgsqlConnection(server.AdminConnectionString))
        {
            await admin.OpenAsync();
            var template = migrated ? $" TEMPLATE \"{server.Template}\"" : "";
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"{template}", admin);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>The shared cluster itself, for tests that stop and start a server of their own next to it.</summary>
    public static async Task<string> AdminConnectionStringAsync() => (await Shared.Value).AdminConnectionString;

    private static async Task<Server> StartAsync()
    {
        var existing = Environment.GetEnvironmentVariable(ExistingServerVariable);
        EmbeddedPostgres? embedded = null;
        string adminConnectionString;
        if (!string.IsNullOrWhiteSpace(existing))
        {
            adminConnectionString = existing;
        }
        else
        {
            RemoveAbandonedClusters();
            var directory = Path.Combine(Root, $"{Environment.ProcessId}-{Guid.NewGuid():N}"[..16]);
            Directory.CreateDirectory(directory);
            await File.WriteAllTextAsync(Path.Combine(directory, "owner.pid"), Environment.ProcessId.ToString());
            embedded = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
            {
                DataDirectory = Path.Combine(directory, "pg"),
                Durable = false,
                Database = "postgres",
            }, NullLogger.Instance);
            adminConnectionString = embedded.ConnectionString;
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                embedded.StopImmediatelyAsync().GetAwaiter().GetResult();
                TryDelete(directory);
            };
        }

        var template = $"template_{Environment.ProcessId}_{Guid.NewGuid():N}"[..30];
        await using (var admin = new NpgsqlConnection(adminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{template}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        var templateConnectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = template, Pooling = false }.ConnectionString;
        await MigrateAsync(templateConnectionString);
        await SeparateIdRangesAsync(templateConnectionString);
        return new Server(adminConnectionString, template, embedded);
    }

    private static async Task MigrateAsync(string connectionString)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Commerce"] = connectionString })
            .Build();
        var services = new ServiceCollection().AddLogging().AddCommerce(configuration);
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<MigrationRunner>().MigrateAsync(CancellationToken.None);
    }

    /// <summary>
    /// Every id sequence starts in its own range (the first at 10,000,001, the next at 20,000,001, ...): an order id
    /// can never equal a product id by chance, so a test that passes one where the other belongs fails, and
    /// snapshots show distinct placeholders for distinct entities.
    /// </summary>
    private static async Task SeparateIdRangesAsync(string connectionString)
    {
        const string Sql = """
            DO $$
            DECLARE s record; i int := 1;
            BEGIN
                -- pg_class, not information_schema.sequences, which leaves identity sequences out.
                FOR s IN SELECT n.nspname AS sequence_schema, c.relname AS sequence_name
                         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE c.relkind = 'S' ORDER BY 1, 2 LOOP
                    EXECUTE format('ALTER SEQUENCE %I.%I RESTART WITH %s', s.sequence_schema, s.sequence_name, i * 10000000 + 1);
                    i := i + 1;
                END LOOP;
            END $$;
            """;
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(Sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Clusters of test processes that died without cleaning up (killed runner, crash).</summary>
    private static void RemoveAbandonedClusters()
    {
        if (!Directory.Exists(Root))
        {
            return;
        }

        foreach (var directory in Directory.GetDirectories(Root))
        {
            // Only directories this fixture made (they name their owner); a directory without an owner file may
            // be in the middle of being set up by another test.
            var ownerFile = Path.Combine(directory, "owner.pid");
            if (!File.Exists(ownerFile) || !int.TryParse(File.ReadAllText(ownerFile), out var owner) || IsAlive(owner))
            {
                continue;
            }

            var pidFile = Path.Combine(directory, "pg", "postmaster.pid");
            if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var postmaster) && IsAlive(postmaster))
            {
                try
                {
                    Process.GetProcessById(postmaster).Kill();
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // Already gone.
                }
            }

            TryDelete(directory);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            return !Process.GetProcessById(pid).HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the next run removes what is left.
        }
    }
}

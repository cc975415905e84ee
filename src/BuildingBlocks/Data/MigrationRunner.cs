using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Commerce.BuildingBlocks.Data;

/// <summary>
/// Applies each module's numbered SQL files once, in module registration order, each in its own
/// transaction, recorded in <c>platform.schema_migrations</c>. A session-level advisory lock makes
/// concurrent starts (several instances) apply every migration exactly once. A migration whose content
/// changed after it was applied stops the start: schemas must only move forward by new files.
/// </summary>
public sealed partial class MigrationRunner(NpgsqlDataSource dataSource, IEnumerable<CommerceModule> modules, ILogger<MigrationRunner> logger)
{
    // Arbitrary but fixed: the same key on every instance.
    private const long AdvisoryLockKey = 0x436f6d6d65726365; // "Commerce"

    private const string JournalSql = """
        CREATE SCHEMA IF NOT EXISTS platform;
        CREATE TABLE IF NOT EXISTS platform.schema_migrations (
            module      text        NOT NULL,
            version     int         NOT NULL,
            name        text        NOT NULL,
            checksum    text        NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (module, version)
        );
        """;

    public async Task<int> MigrateAsync(CancellationToken ct)
    {
        var migrations = modules.SelectMany(Discover).ToList();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("SET statement_timeout = 0; SET lock_timeout = 0", cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@AdvisoryLockKey)", new { AdvisoryLockKey }, cancellationToken: ct));
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(JournalSql, cancellationToken: ct));
            var applied = (await connection.QueryAsync<(string Module, int Version, string Checksum)>(
                new CommandDefinition("SELECT module, version, checksum FROM platform.schema_migrations", cancellationToken: ct)))
                .ToDictionary(m => (m.Module, m.Version), m => m.Checksum);

            var count = 0;
            foreach (var migration in migrations)
            {
                if (applied.TryGetValue((migration.Module, migration.Version), out var checksum))
                {
                    if (checksum != migration.Checksum)
                    {
                        throw new InvalidOperationException(
                            $"Migration {migration.Module}/{migration.Name} was changed after it was applied " +
                            $"(checksum {checksum} in the journal, {migration.Checksum} now). Add a new migration instead of editing an applied one.");
                    }

                    continue;
                }

                await using var tx = await connection.BeginTransactionAsync(ct);
                await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: tx, cancellationToken: ct));
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO platform.schema_migrations (module, version, name, checksum) VALUES (@Module, @Version, @Name, @Checksum)",
                    migration, tx, cancellationToken: ct));
                await tx.CommitAsync(ct);
                logger.LogInformation("Applied migration {Module}/{Name}", migration.Module, migration.Name);
                count++;
            }

            return count;
        }
        finally
        {
            // The pool does not reset connections (ConnectionStringDefaults): give this one back with the data source's timeouts.
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT pg_advisory_unlock(@AdvisoryLockKey); RESET statement_timeout; RESET lock_timeout", new { AdvisoryLockKey }, cancellationToken: CancellationToken.None));
        }
    }

    internal static IEnumerable<Migration> Discover(CommerceModule module)
    {
        var assembly = module.Assembly;
        return assembly.GetManifestResourceNames()
            .Select(resource => (resource, match: FileName().Match(resource)))
            .Where(r => r.match.Success)
            .Select(r =>
            {
                using var stream = assembly.GetManifestResourceStream(r.resource)!;
                using var reader = new StreamReader(stream, Encoding.UTF8);
                var sql = reader.ReadToEnd();
                var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql.ReplaceLineEndings("\n"))));
                return new Migration(module.Schema, int.Parse(r.match.Groups["version"].Value), r.match.Groups["name"].Value, checksum, sql);
            })
            .OrderBy(m => m.Version);
    }

    [GeneratedRegex(@"\.Migrations\.(?<name>(?<version>\d{4})_[A-Za-z0-9_]+\.sql)$")]
    private static partial Regex FileName();

    internal sealed record Migration(string Module, int Version, string Name, string Checksum, string Sql);
}

using System.Data.Common;
using Npgsql;

namespace Commerce.BuildingBlocks.Data;

/// <summary>
/// What the product's data sources add to the configured connection string, each only where the connection string
/// says nothing about it: an operator's explicit setting always wins.
/// </summary>
internal static class ConnectionStringDefaults
{
    public static string Apply(string connectionString, DatabaseOptions options, int? poolSize = null, string? applicationName = null,
        TimeSpan? keepAlive = null, string? sessionSettings = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!Names(connectionString, "MaxPoolSize", "MaximumPoolSize"))
        {
            // Npgsql's default of 100 per instance overruns PostgreSQL's max_connections (100 by default, 200 on the
            // embedded server) as soon as a second or third instance runs: in a coupon rush over three instances the
            // server refused connections with 53300 "too many clients". With a bounded pool a rush waits for a pooled
            // connection instead (up to the connect timeout) and every request gets its answer.
            builder.MaxPoolSize = poolSize ?? options.MaxPoolSize;
        }

        if (!Names(connectionString, "MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = options.MaxAutoPrepare;
        }

        if (!Names(connectionString, "NoResetOnClose"))
        {
            // Npgsql otherwise prepends a reset (RESET ALL, CLOSE ALL, UNLISTEN *, pg_advisory_unlock_all(), DISCARD ...:
            // seven statements) to the first command of every pooled use, which was 7 of a charge's 16 statements. Nothing
            // leaves session state on these pools: transactions use SET LOCAL, locks are row or xact-level, and the one
            // session-level SET and advisory lock (MigrationRunner) is undone by the runner itself.
            builder.NoResetOnClose = true;
        }

        // The command timeouts as the session's own settings, sent once when a connection opens, so a transaction needs
        // no SET LOCAL round trip (a RESET comes back to these). Queries and jobs get them too.
        // What the connection string's Options set comes after them, so an operator's own -c wins.
        var timeouts = FormattableString.Invariant(
            $"-c lock_timeout={(long)options.LockTimeout.TotalMilliseconds} -c statement_timeout={(long)options.StatementTimeout.TotalMilliseconds}");
        if (sessionSettings is not null)
        {
            timeouts = $"{timeouts} {sessionSettings}";
        }

        builder.Options = builder.Options is { Length: > 0 } own ? $"{timeouts} {own}" : timeouts;

        if (applicationName is not null && !Names(connectionString, "ApplicationName"))
        {
            builder.ApplicationName = applicationName;
        }

        if (keepAlive is { } interval && !Names(connectionString, "KeepAlive"))
        {
            builder.KeepAlive = (int)Math.Ceiling(interval.TotalSeconds);
        }

        return builder.ConnectionString;
    }

    /// <summary>Whether the connection string sets a keyword under any of its spellings (spaces and case ignored).</summary>
    private static bool Names(string connectionString, params string[] keywords) =>
        new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "", StringComparison.Ordinal))
            .Any(k => keywords.Contains(k, StringComparer.OrdinalIgnoreCase));
}

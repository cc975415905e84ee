using System.Diagnostics;
using System.Runtime.InteropServices;
using Dapper;
using Npgsql;

namespace Commerce.Bench;

/// <summary>What the figures were measured on: they only mean something next to this.</summary>
internal static class Machine
{
    public static async Task<string> DescribeAsync(NpgsqlDataSource db, BenchOptions options)
    {
        await using var connection = await db.OpenConnectionAsync();
        var postgres = await connection.ExecuteScalarAsync<string>("SHOW server_version");
        var durability = await connection.ExecuteScalarAsync<string>(
            "SELECT 'fsync=' || current_setting('fsync') || ', synchronous_commit=' || current_setting('synchronous_commit') || ', max_connections=' || current_setting('max_connections')");
        var memory = File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var load = (await File.ReadAllTextAsync("/proc/loadavg")).Split(' ');
        var settings = options.HostSettings.Count == 0 ? "none" : string.Join(", ", options.HostSettings.Select(s => $"{s.Key}={s.Value}"));
        return $"""
            - Machine: {Environment.ProcessorCount} cores, {long.Parse(memory) / 1024 / 1024.0:0.0} GB RAM, Linux {Uname()}, PostgreSQL {postgres} ({durability}), .NET {RuntimeInformation.FrameworkDescription}
            - Load average when the report was written: {load[0]} {load[1]} {load[2]} (1, 5, 15 min)
            - Scale {options.Scale}, sustained runs {options.SustainedSeconds} s each, pgbench {options.PgbenchSeconds} s per run, open loop {options.OpenLoopSeconds} s per run, extra host settings: {settings}
            - Host log level: {LogLevel(options)}
            - Sustained: a closed loop at a concurrency the host admits without shedding ({Bench.WriteClients} write clients, {Bench.ReadClients} read clients) for {options.SustainedSeconds} s, the outbox backlog read the moment the load stops; ✓ when nothing was shed or failed and that backlog is at most one second's worth of the run's events. If the backlog is larger, the sustained rate is what the relay drained during the run (events per second ÷ events per operation), not what the API answered. Open loops run at 70 % of the sustained rate, overload at 150 %.
            """;
    }

    /// <summary>The shipped level unless a --set overrides it: the figures are the host's as it ships.</summary>
    private static string LogLevel(BenchOptions options) =>
        options.HostSettings.TryGetValue("Commerce__Logging__MinimumLevel", out var level) || options.HostSettings.TryGetValue("Serilog__MinimumLevel__Default", out level)
            ? $"{level} (set for this run; the shipped default is Information)"
            : "Information, the shipped default";

    private static string Uname()
    {
        using var uname = Process.Start(new ProcessStartInfo("uname", "-r") { RedirectStandardOutput = true })!;
        var release = uname.StandardOutput.ReadToEnd().Trim();
        uname.WaitForExit();
        return release;
    }
}

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
            - Scale {options.Scale}, pgbench {options.PgbenchSeconds} s per run, open loop {options.OpenLoopSeconds} s per run, extra host settings: {settings}
            """;
    }

    private static string Uname()
    {
        using var uname = Process.Start(new ProcessStartInfo("uname", "-r") { RedirectStandardOutput = true })!;
        var release = uname.StandardOutput.ReadToEnd().Trim();
        uname.WaitForExit();
        return release;
    }
}

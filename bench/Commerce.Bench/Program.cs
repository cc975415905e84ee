using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using Commerce.Bench;
using Npgsql;

// /proc, getconf, kill and pgbench: the harness measures on Linux only.
[assembly: SupportedOSPlatform("linux")]

// ./build.sh bench [--scale 0.1] [--only coupon,hot,...] [--set Key=Value]: see BenchOptions and BENCHMARKS.md.
var options = BenchOptions.Parse(args);
if (!File.Exists(options.HostDll))
{
    Console.Error.WriteLine($"Build the host in Release first: {options.HostDll} is missing (./build.sh bench does it).");
    return 2;
}

var clock = Stopwatch.StartNew();
Console.WriteLine($"Starting the host ({options.HostDll}) on a fresh database...");
await using var host = await HostUnderTest.StartAsync(options.HostDll, options.HostSettings);

// Ctrl+C or a kill of the harness ends the process without unwinding: stop the host (and its PostgreSQL) first.
void StopHost(PosixSignalContext _) => host.DisposeAsync().AsTask().GetAwaiter().GetResult();
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, StopHost);
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, StopHost);
await using var rss = new RssSampler(host.Pid);
await using var db = NpgsqlDataSource.Create(host.ConnectionString);
Console.WriteLine($"Host pid {host.Pid} on {host.BaseAddress}, PostgreSQL pid {host.PostmasterPid} on port {host.PostgresPort}.");

var bench = new Bench(options, host, db, rss);
// The start-up's own warnings (no admin configured, key ring unencrypted at rest) are not the load's.
var problemsBefore = host.ProblemLines;
try
{
    await bench.RunAsync();
}
finally
{
    var report = new StringBuilder();
    report.AppendLine(CultureInfo.InvariantCulture, $"## Commerce load harness: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {options.Label}");
    report.AppendLine();
    report.AppendLine(await Machine.DescribeAsync(db, options));
    report.AppendLine();
    report.Append(Report.Table(bench.Rows));
    report.AppendLine();
    foreach (var note in bench.Notes)
    {
        report.AppendLine($"- {note}");
    }

    report.AppendLine(CultureInfo.InvariantCulture, $"- Host peak resident memory over the whole run (VmHWM): {ProcStats.MemoryMb(host.Pid, "VmHWM"):0} MB.");
    var problems = host.ProblemLines - problemsBefore;
    report.AppendLine(CultureInfo.InvariantCulture, $"- Host log lines at warning or above during the run: {problems}.");
    report.AppendLine(CultureInfo.InvariantCulture, $"- Whole run: {clock.Elapsed.TotalMinutes:0.0} min.");
    var text = report.ToString();
    Console.WriteLine();
    Console.WriteLine(text);
    if (problems > 0)
    {
        Console.WriteLine("Last lines of the host's log:");
        Console.WriteLine(host.Tail);
    }

    var results = Path.Combine(options.RepositoryRoot, "bench", "results");
    Directory.CreateDirectory(results);
    var file = Path.Combine(results, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{options.Label}.md");
    await File.WriteAllTextAsync(file, text);
    Console.WriteLine($"Saved to {file}");
    // The cluster goes with the host; its log (checkpoints, autovacuum, refusals) stays beside the report.
    if (File.Exists(host.PostgresLog))
    {
        File.Copy(host.PostgresLog, Path.ChangeExtension(file, ".postgres.log"), overwrite: true);
    }
}

var failed = bench.Rows.Count(r => r.Errors > 0 || !r.InvariantHolds);
Console.WriteLine(failed == 0 ? "Every scenario: 0 errors, invariants hold." : $"{failed} rows with errors or broken invariants.");
return failed == 0 ? 0 : 1;

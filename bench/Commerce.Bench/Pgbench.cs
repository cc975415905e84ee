using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Commerce.Bench;

/// <summary>What one pgbench run measured: transactions per second and the latency of each transaction (from its log).</summary>
internal sealed record PgbenchResult(int Clients, int Transactions, int Failed, double Tps, double[] LatenciesMs, string Output);

/// <summary>
/// pgbench against the host's own PostgreSQL, with a script under bench/pgbench that copies a handler's SQL and locks.
/// Every transaction is logged (-l) so percentiles come out the same way as the API's.
/// </summary>
internal static partial class Pgbench
{
    /// <summary>The newest Debian-layout pgbench (/usr/lib/postgresql/&lt;major&gt;/bin), else the one on the PATH.</summary>
    public static readonly string Binary = Directory.Exists("/usr/lib/postgresql")
        ? Directory.GetDirectories("/usr/lib/postgresql")
              .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var major) ? major : 0)
              .Select(d => Path.Combine(d, "bin", "pgbench"))
              .FirstOrDefault(File.Exists) ?? "pgbench"
        : "pgbench";

    /// <summary>
    /// Simple protocol runs the script as written: statements joined with <c>\;</c> travel in one round trip, as the
    /// handler batches them, and each is parsed and planned every time. Prepared skips parsing and planning but cannot
    /// send joined statements, so each group becomes a pipeline (<c>\startpipeline</c> … <c>\endpipeline</c>): still
    /// one round trip, as Npgsql sends an <c>NpgsqlBatch</c>. A group whose result a <c>\gset</c> reads cannot be
    /// pipelined (pgbench refuses it) and is split into one round trip a statement.
    /// </summary>
    public static async Task<PgbenchResult> RunAsync(HostUnderTest host, string script, bool prepared, int clients, int seconds,
        IReadOnlyDictionary<string, object> variables)
    {
        var logDirectory = Directory.CreateTempSubdirectory("commerce-pgbench-").FullName;
        try
        {
            if (prepared)
            {
                var split = Path.Combine(logDirectory, Path.GetFileName(script));
                await File.WriteAllTextAsync(split, ForPreparedMode(await File.ReadAllTextAsync(script)));
                script = split;
            }

            var info = new ProcessStartInfo(Binary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = logDirectory,
            };
            info.Environment["PGPASSWORD"] = host.Password;
            string[] arguments =
            [
                "-h", "127.0.0.1", "-p", host.PostgresPort.ToString(), "-U", "commerce", "-n",
                "-c", clients.ToString(), "-j", Math.Min(clients, Environment.ProcessorCount).ToString(),
                "-T", seconds.ToString(), "-M", prepared ? "prepared" : "simple", "-f", script, "-l", "--log-prefix", Path.Combine(logDirectory, "tx"),
            ];
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            foreach (var (name, value) in variables)
            {
                info.ArgumentList.Add("-D");
                info.ArgumentList.Add(string.Create(CultureInfo.InvariantCulture, $"{name}={value}"));
            }

            info.ArgumentList.Add("commerce");
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var output = await stdout + await stderr;
            if (process.ExitCode != 0 && !output.Contains("tps =", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"pgbench {Path.GetFileName(script)} failed ({process.ExitCode}):\n{output}");
            }

            var tps = Tps().Match(output) is { Success: true } m ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
            var failed = Failed().Match(output) is { Success: true } f ? int.Parse(f.Groups[1].Value) : 0;
            // Log lines: client_id transaction_no time_us script_no time_epoch time_us_fraction [schedule_lag]; a failed one has "failed" as its time.
            var latencies = Directory.EnumerateFiles(logDirectory, "tx*")
                .SelectMany(File.ReadLines)
                .Select(line => line.Split(' '))
                .Where(fields => fields.Length >= 3 && long.TryParse(fields[2], out _))
                .Select(fields => long.Parse(fields[2]) / 1000.0)
                .Order()
                .ToArray();
            return new PgbenchResult(clients, latencies.Length, failed, tps, latencies, output);
        }
        finally
        {
            Directory.Delete(logDirectory, recursive: true);
        }
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex Tps();

    [GeneratedRegex(@"number of failed transactions: (\d+)")]
    private static partial Regex Failed();

    /// <summary>Rewrites each group of <c>\;</c>-joined statements as a pipeline (see <see cref="RunAsync"/>).</summary>
    internal static string ForPreparedMode(string script)
    {
        var output = new List<string>();
        var command = new List<string>();
        foreach (var line in script.Split('\n'))
        {
            if (line.TrimStart().StartsWith('\\') && command.Count > 0)
            {
                // A meta-command ends the SQL command before it: \gset reads it, so its group goes one statement a round trip.
                output.Add(string.Join('\n', command).Replace("\\;", ";\n", StringComparison.Ordinal));
                command.Clear();
            }

            if (command.Count == 0 && (line.TrimStart().StartsWith('\\') || line.TrimStart().StartsWith("--", StringComparison.Ordinal) || line.Trim().Length == 0))
            {
                output.Add(line);
                continue;
            }

            command.Add(line);
            var end = line.TrimEnd();
            if (!end.EndsWith(';') || end.EndsWith("\\;", StringComparison.Ordinal))
            {
                continue;
            }

            var text = string.Join('\n', command);
            command.Clear();
            if (!text.Contains("\\;", StringComparison.Ordinal))
            {
                output.Add(text);
                continue;
            }

            output.Add($"\\startpipeline\n{text.Replace("\\;", ";\n", StringComparison.Ordinal)}\n\\endpipeline");
        }

        output.AddRange(command);
        return string.Join('\n', output);
    }
}

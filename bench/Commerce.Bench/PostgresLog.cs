using System.Globalization;
using System.Text.RegularExpressions;

namespace Commerce.Bench;

/// <summary>
/// What PostgreSQL did on its own during a window, read from its server log: checkpoints and autovacuum's vacuums and
/// analyzes (the harness turns on <c>log_autovacuum_min_duration = 0</c> in its throwaway cluster; PostgreSQL 15 logs
/// checkpoints by default). Two cores are shared by the host, PostgreSQL and the load, so a few seconds of a background
/// job show in an open loop's p99; this puts them beside the second-by-second p99 instead of leaving them a guess.
/// </summary>
internal static partial class PostgresLog
{
    /// <summary>Each job that ended inside [from, to], as "+14.2 s vacuum platform.outbox (4.6 s, CPU 1.3 s)".</summary>
    public static string Describe(string path, DateTime fromUtc, DateTime toUtc)
    {
        if (!File.Exists(path))
        {
            return "no server log";
        }

        var jobs = new List<string>();
        string? pending = null;
        var pendingAt = DateTime.MinValue;
        // The server appends while this reads: share the file, and read what is there.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (Entry().Match(line) is { Success: true } entry)
            {
                pending = null;
                var at = DateTime.ParseExact(entry.Groups["at"].Value, "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
                if (at < fromUtc || at > toUtc)
                {
                    continue;
                }

                var message = entry.Groups["message"].Value;
                if (Checkpoint().Match(message) is { Success: true } checkpoint)
                {
                    jobs.Add($"{Seconds(at - fromUtc)} s checkpoint ({checkpoint.Groups["total"].Value} s, {checkpoint.Groups["buffers"].Value} buffers)");
                }
                else if (Autovacuum().Match(message) is { Success: true } job)
                {
                    // Its figures come on the detail lines that follow.
                    pending = $"{job.Groups["kind"].Value} {job.Groups["table"].Value}";
                    pendingAt = at;
                }
            }
            else if (pending is not null && Usage().Match(line) is { Success: true } usage)
            {
                var cpu = double.Parse(usage.Groups["user"].Value, CultureInfo.InvariantCulture) + double.Parse(usage.Groups["system"].Value, CultureInfo.InvariantCulture);
                var elapsed = double.Parse(usage.Groups["elapsed"].Value, CultureInfo.InvariantCulture);
                // The log line is written when the job ends: it started its elapsed time earlier.
                jobs.Add($"{Seconds(pendingAt - fromUtc - TimeSpan.FromSeconds(elapsed))} s {pending} ({elapsed:0.0} s, CPU {cpu:0.00} s)");
                pending = null;
            }
        }

        return jobs.Count == 0 ? "none" : string.Join("; ", jobs);
    }

    // Signed: a job that began just before the window (and ended in it) shows as "-0.4 s".
    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("+0.0;-0.0;+0.0", CultureInfo.InvariantCulture);

    // log_line_prefix '%m [%p] ' (PostgreSQL's default); the harness's cluster logs in UTC, as initdb found it.
    [GeneratedRegex(@"^(?<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC \[\d+\] \w+:\s+(?<message>.*)$")]
    private static partial Regex Entry();

    [GeneratedRegex(@"^checkpoint complete: wrote (?<buffers>\d+) buffers.*total=(?<total>[0-9.]+) s")]
    private static partial Regex Checkpoint();

    [GeneratedRegex(@"^automatic (?<kind>vacuum|analyze) of table ""[^.]+\.(?<table>[^""]+)""")]
    private static partial Regex Autovacuum();

    [GeneratedRegex(@"CPU: user: (?<user>[0-9.]+) s, system: (?<system>[0-9.]+) s, elapsed: (?<elapsed>[0-9.]+) s")]
    private static partial Regex Usage();
}

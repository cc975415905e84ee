using System.Diagnostics;

namespace Commerce.Bench;

/// <summary>
/// CPU time and resident memory read from /proc (Linux only): the host's process, and PostgreSQL's postmaster with
/// all its children (backends, WAL writer, checkpointer...). Children that exit are added to the postmaster's
/// cutime/cstime when it reaps them, so a difference of two readings also counts backends that came and went.
/// </summary>
internal static class ProcStats
{
    private static readonly Lazy<double> TicksPerSecond = new(() =>
    {
        var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true })!;
        var output = getconf.StandardOutput.ReadToEnd();
        getconf.WaitForExit();
        return double.TryParse(output.Trim(), out var ticks) ? ticks : 100;
    });

    /// <summary>CPU seconds (user + system) of one process; with <paramref name="reapedChildren"/>, plus its waited-for children.</summary>
    public static double CpuSeconds(int pid, bool reapedChildren = false)
    {
        var fields = StatFields(pid);
        if (fields is null)
        {
            return 0;
        }

        // After the command name: field 14 utime, 15 stime, 16 cutime, 17 cstime (1-based, man 5 proc).
        var ticks = long.Parse(fields[11]) + long.Parse(fields[12]);
        if (reapedChildren)
        {
            ticks += long.Parse(fields[13]) + long.Parse(fields[14]);
        }

        return ticks / TicksPerSecond.Value;
    }

    /// <summary>The postmaster (with the children it reaped) plus every live child.</summary>
    public static double PostgresCpuSeconds(int postmasterPid)
    {
        var total = CpuSeconds(postmasterPid, reapedChildren: true);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && StatFields(pid) is { } fields && fields[1] == postmasterPid.ToString())
            {
                total += (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond.Value;
            }
        }

        return total;
    }

    /// <summary>Resident memory now (VmRSS) or the peak since the process started (VmHWM), in MB.</summary>
    public static double MemoryMb(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]);
                    return kb / 1024.0;
                }
            }
        }
        catch (IOException)
        {
            // The process is gone.
        }

        return 0;
    }

    /// <summary>The fields after "pid (comm)", so a command name with spaces cannot shift them; index 0 is the state.</summary>
    private static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>Samples the host's VmRSS every 50 ms; <see cref="TakePeak"/> returns the highest since the last call.</summary>
internal sealed class RssSampler : IAsyncDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private double _peak;

    public RssSampler(int pid)
    {
        _pid = pid;
        _loop = Task.Run(SampleAsync);
    }

    public double TakePeak()
    {
        var now = ProcStats.MemoryMb(_pid, "VmRSS");
        var peak = Math.Max(Interlocked.Exchange(ref _peak, now), now);
        return peak;
    }

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var rss = ProcStats.MemoryMb(_pid, "VmRSS");
                double seen;
                do
                {
                    seen = Volatile.Read(ref _peak);
                }
                while (rss > seen && Interlocked.CompareExchange(ref _peak, rss, seen) != seen);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}

/// <summary>CPU of host and PostgreSQL between <see cref="Start"/> and <see cref="Stop"/>, and the host's peak RSS over it.</summary>
internal sealed class ResourceWindow(int hostPid, int postmasterPid, RssSampler rss)
{
    private double _host;
    private double _postgres;
    private double _self;

    public void Start()
    {
        rss.TakePeak();
        (_host, _postgres, _self) = Read();
    }

    public ResourceUse Stop()
    {
        var (host, postgres, self) = Read();
        return new ResourceUse(host - _host, postgres - _postgres, self - _self, rss.TakePeak());
    }

    private (double Host, double Postgres, double Self) Read() =>
        (ProcStats.CpuSeconds(hostPid), ProcStats.PostgresCpuSeconds(postmasterPid), ProcStats.CpuSeconds(Environment.ProcessId, reapedChildren: true));
}

/// <summary>CPU seconds of the host, of PostgreSQL and of this harness (with pgbench, its child), and the host's peak RSS in MB.</summary>
internal sealed record ResourceUse(double HostCpu, double PostgresCpu, double ClientCpu, double HostPeakRssMb)
{
    /// <summary>Outbox events not yet delivered when the load ended (write scenarios only).</summary>
    public long? OutboxBacklog { get; init; }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Commerce.Bench;

/// <summary>
/// The Release build of the host as its own process, on its own fresh embedded PostgreSQL in a temporary data
/// directory, with the product's durable defaults and the Production environment. Its console output is watched
/// for the database port and for warnings and errors.
/// </summary>
internal sealed partial class HostUnderTest : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _tail = new();
    private readonly TaskCompletionSource<int> _postgresPort = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _problemLines;

    private HostUnderTest(Process process, string dataDirectory, Uri baseAddress)
    {
        _process = process;
        DataDirectory = dataDirectory;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public string DataDirectory { get; }

    /// <summary>The embedded PostgreSQL's server log (EmbeddedPostgres starts it with pg_ctl -l there).</summary>
    public string PostgresLog => Path.Combine(DataDirectory, "postgres", "server.log");

    public int Pid => _process.Id;

    public int PostgresPort { get; private set; }

    public int PostmasterPid { get; private set; }

    public string Password { get; private set; } = "";

    public string ConnectionString => $"Host=127.0.0.1;Port={PostgresPort};Username=commerce;Password={Password};Database=commerce;Maximum Pool Size=20";

    /// <summary>Lines at WRN, ERR or FTL level the host wrote so far.</summary>
    public int ProblemLines => Volatile.Read(ref _problemLines);

    public string Tail => string.Join('\n', _tail);

    public static async Task<HostUnderTest> StartAsync(string hostDll, IReadOnlyDictionary<string, string> settings)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("commerce-bench-").FullName;
        // As root the host runs PostgreSQL as 'postgres', which must be able to enter the directory.
        File.SetUnixFileMode(dataDirectory, (UnixFileMode)Convert.ToInt32("755", 8));
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");

        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(hostDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(hostDll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(baseAddress.ToString().TrimEnd('/'));
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Commerce__DataDirectory"] = dataDirectory;
        // The shipped log level (Information); --set Commerce__Logging__MinimumLevel=Warning measures a quieter host.
        // The one information line the harness needs: where the embedded PostgreSQL listens.
        info.Environment["Serilog__MinimumLevel__Override__Commerce.EmbeddedPostgres"] = "Information";
        info.Environment["Commerce__RateLimits__Enabled"] = "false";
        info.Environment["Commerce__PaymentGateway__Simulated__Latency"] = "00:00:00.010";
        foreach (var (key, value) in settings)
        {
            info.Environment[key] = value;
        }

        var host = new HostUnderTest(Process.Start(info)!, dataDirectory, baseAddress);
        host._process.OutputDataReceived += (_, e) => host.Collect(e.Data);
        host._process.ErrorDataReceived += (_, e) => host.Collect(e.Data);
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        _ = host._process.WaitForExitAsync().ContinueWith(
            _ => host._postgresPort.TrySetException(new InvalidOperationException($"The host exited early:\n{host.Tail}")), TaskScheduler.Default);

        try
        {
            host.PostgresPort = await host._postgresPort.Task.WaitAsync(TimeSpan.FromSeconds(120));
            await host.WaitUntilReadyAsync();
            var postgres = Path.Combine(dataDirectory, "postgres");
            host.Password = (await File.ReadAllTextAsync(Path.Combine(postgres, "commerce.password"))).Trim();
            host.PostmasterPid = int.Parse((await File.ReadAllLinesAsync(Path.Combine(postgres, "postmaster.pid")))[0]);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (deadline.Elapsed < TimeSpan.FromSeconds(120))
            {
                // Not listening yet.
            }

            if (_process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(120))
            {
                throw new InvalidOperationException($"The host did not become ready:\n{Tail}");
            }

            await Task.Delay(200);
        }
    }

    private void Collect(string? line)
    {
        if (line is null)
        {
            return;
        }

        _tail.Enqueue(line);
        while (_tail.Count > 200)
        {
            _tail.TryDequeue(out _);
        }

        if (PostgresStarted().Match(line) is { Success: true } started)
        {
            _postgresPort.TrySetResult(int.Parse(started.Groups["port"].Value));
        }
        else if (ProblemLevel().IsMatch(line))
        {
            Interlocked.Increment(ref _problemLines);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: a graceful stop, which also stops the embedded PostgreSQL.
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
            {
                await kill.WaitForExitAsync();
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }

        _process.Dispose();
        Directory.Delete(DataDirectory, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"PostgreSQL started from .* on 127\.0\.0\.1:(?<port>\d+)")]
    private static partial Regex PostgresStarted();

    [GeneratedRegex(@"^\[[0-9:.]+ (WRN|ERR|FTL)\]")]
    private static partial Regex ProblemLevel();
}

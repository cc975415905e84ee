using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Commerce.Testing;

/// <summary>
/// The built host (Commerce.Host.dll) as a separate process on a loopback port: for what only a real process
/// shows (kill -9, several instances on one database, restarts). Its console output is kept for assertions.
/// </summary>
public sealed partial class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HostProcess(Process process) => _process = process;

    public Uri BaseAddress { get; private set; } = null!;

    public int Id => _process.Id;

    public string Output => string.Join('\n', _output);

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the host with these settings (environment variables, e.g. Commerce__DataDirectory) and waits until it listens.</summary>
    public static async Task<HostProcess> StartAsync(IDictionary<string, string> environment, TimeSpan? timeout = null)
    {
        var hostDirectory = HostBuildDirectory();
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = hostDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(hostDirectory, "Commerce.Host.dll"));
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add("http://127.0.0.1:0");
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        info.Environment["DOTNET_gcServer"] = "0";
        // Load shedding patient (as in CommerceApp): a burst on a busy CI machine must be served, not shed.
        info.Environment["Commerce__Overload__MaxQueueWait"] = "00:00:30";
        info.Environment["Commerce__Overload__Reads__QueueLimit"] = "100000";
        info.Environment["Commerce__Overload__Writes__QueueLimit"] = "100000";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var host = new HostProcess(Process.Start(info)!);
        host._process.OutputDataReceived += (_, e) => host.Collect(e.Data);
        host._process.ErrorDataReceived += (_, e) => host.Collect(e.Data);
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        _ = host._process.WaitForExitAsync().ContinueWith(_ => host._listening.TrySetException(
            new InvalidOperationException($"The host exited with {host._process.ExitCode} before listening:\n{host.Output}")), TaskScheduler.Default);

        host.BaseAddress = await host._listening.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
        return host;
    }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>kill -9: no shutdown code runs, the embedded PostgreSQL is left running.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as a service manager stops it; waits for the graceful shutdown.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString()]).WaitForExit();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await StopAsync();
        }

        _process.Dispose();
    }

    private void Collect(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        var match = Listening().Match(line);
        if (match.Success)
        {
            _listening.TrySetResult(new Uri(match.Groups["url"].Value));
        }
    }

    /// <summary>src/Host's build output for the configuration the tests were built with (Debug or Release).</summary>
    public static string HostBuildDirectory()
    {
        var testDirectory = new DirectoryInfo(AppContext.BaseDirectory);
        var framework = testDirectory.Name;
        var configuration = testDirectory.Parent!.Name;
        var root = testDirectory;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Commerce.sln")))
        {
            root = root.Parent;
        }

        var directory = Path.Combine(root?.FullName ?? throw new InvalidOperationException("Commerce.sln not found above the test directory."),
            "src", "Host", "bin", configuration, framework);
        return File.Exists(Path.Combine(directory, "Commerce.Host.dll"))
            ? directory
            : throw new InvalidOperationException($"Build the host first: {directory} has no Commerce.Host.dll.");
    }

    [GeneratedRegex(@"Now listening on: (?<url>http://[^\s]+)")]
    private static partial Regex Listening();
}

using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Commerce.BuildingBlocks.Hosting;

/// <summary>
/// A PostgreSQL cluster owned by this process: initialised on first start, started on a free loopback
/// port with its socket in the data directory, stopped on dispose. When the process runs as root, the
/// server runs as the <c>postgres</c> user (PostgreSQL refuses root). A cluster left running by a host
/// that was killed is adopted; a stale <c>postmaster.pid</c> is removed.
/// </summary>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    private const string SuperUser = "commerce";
    private const string PasswordFile = "commerce.password";
    private const string ServerUser = "postgres";

    private readonly EmbeddedPostgresOptions _options;
    private readonly ILogger _logger;
    private readonly string _binDirectory;
    private readonly string? _runAs;
    private readonly FileStream _ownerLock;
    private bool _stopped;

    private EmbeddedPostgres(EmbeddedPostgresOptions options, ILogger logger, string binDirectory, string? runAs, FileStream ownerLock)
    {
        _options = options;
        _logger = logger;
        _binDirectory = binDirectory;
        _runAs = runAs;
        _ownerLock = ownerLock;
    }

    public string DataDirectory => _options.DataDirectory;

    public int Port { get; private set; }

    public string ConnectionString { get; private set; } = "";

    public static async Task<EmbeddedPostgres> StartAsync(EmbeddedPostgresOptions options, ILogger logger, CancellationToken ct = default)
    {
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        options = options with { DataDirectory = dataDirectory };
        var binDirectory = FindBinaries(options.BinDirectory);
        var runAs = Environment.IsPrivilegedProcess ? ServerUser : null;

        Directory.CreateDirectory(dataDirectory);
        var ownerLock = TakeOwnerLock(dataDirectory);
        var server = new EmbeddedPostgres(options, logger, binDirectory, runAs, ownerLock);
        try
        {
            await server.StartCoreAsync(ct);
            return server;
        }
        catch
        {
            await ownerLock.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(CancellationToken ct)
    {
        var pgData = _options.DataDirectory;
        if (_runAs is not null)
        {
            await EnsureReachableByServerUserAsync(pgData);
        }

        if (!File.Exists(Path.Combine(pgData, "PG_VERSION")))
        {
            await InitDbAsync(pgData);
        }

        var password = await File.ReadAllTextAsync(Path.Combine(pgData, PasswordFile), ct);
        var adopted = AdoptRunningServer(pgData);
        if (adopted is { } port)
        {
            _logger.LogWarning("PostgreSQL was left running in {DataDirectory} (previous host killed?); using it on port {Port}", pgData, port);
            Port = port;
        }
        else
        {
            Port = _options.Port ?? FreeLoopbackPort();
            await PgCtlAsync("start", ["-w", "-t", "60", "-l", Path.Combine(pgData, "server.log"), "-o", ServerArguments(pgData, Port)]);
            _logger.LogInformation("PostgreSQL started from {DataDirectory} on 127.0.0.1:{Port}", pgData, Port);
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = SuperUser,
            Password = password.Trim(),
            Database = "postgres",
        };
        await EnsureDatabaseAsync(builder.ConnectionString, _options.Database, ct);
        builder.Database = _options.Database;
        ConnectionString = builder.ConnectionString;
    }

    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        var result = await PgCtlRawAsync("stop", ["-w", "-t", "60", "-m", "fast"]);
        if (result.ExitCode == 0)
        {
            _logger.LogInformation("PostgreSQL in {DataDirectory} stopped", _options.DataDirectory);
        }
        else
        {
            _logger.LogWarning("Stopping PostgreSQL in {DataDirectory} failed: {Output}", _options.DataDirectory, result.Output);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            await _ownerLock.DisposeAsync();
        }
    }

    /// <summary>Kills the server without a shutdown checkpoint, as a crash would (tests of crash recovery).</summary>
    public async Task StopImmediatelyAsync()
    {
        _stopped = true;
        await PgCtlRawAsync("stop", ["-w", "-m", "immediate"]);
    }

    internal static string FindBinaries(string? configured) => FindBinaries(configured, DefaultSearchPath());

    private static List<string> DefaultSearchPath()
    {
        var candidates = new List<string>();
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            // Debian layout: /usr/lib/postgresql/<major>/bin, newest first.
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var major) ? major : 0)
                .Select(d => Path.Combine(d, "bin")));
        }

        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        candidates.AddRange(["/usr/local/pgsql/bin", "/usr/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin"]);
        return candidates;
    }

    internal static string FindBinaries(string? configured, IEnumerable<string> searchPath)
    {
        static bool HasServer(string directory) =>
            File.Exists(Path.Combine(directory, "pg_ctl")) && File.Exists(Path.Combine(directory, "initdb"));

        if (!string.IsNullOrWhiteSpace(configured))
        {
            return HasServer(configured)
                ? configured
                : throw new PostgresNotFoundException($"Commerce:Postgres:BinDirectory is '{configured}', but initdb and pg_ctl are not there.");
        }

        return searchPath.FirstOrDefault(HasServer)
            ?? throw new PostgresNotFoundException(
                "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them with " +
                "'sudo apt-get update && sudo apt-get install -y postgresql' (./build.sh does this for you), " +
                "set Commerce__Postgres__BinDirectory, or point ConnectionStrings__Commerce at an existing server.");
    }

    private static FileStream TakeOwnerLock(string dataDirectory)
    {
        var path = dataDirectory.TrimEnd(Path.DirectorySeparatorChar) + ".lock";
        try
        {
            // An exclusive lock held for the host's lifetime; the kernel drops it when the process dies,
            // even by kill -9, so a crashed host never blocks the next start.
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new InvalidOperationException(
                $"The data directory {dataDirectory} is in use by another running Commerce host. " +
                "Stop it, or give this one its own directory (Commerce__DataDirectory) or an external database (ConnectionStrings__Commerce).");
        }
    }

    private static async Task EnsureReachableByServerUserAsync(string pgData)
    {
        var chown = await ProcessRunner.RunAsync("chown", ["-R", $"{ServerUser}:{ServerUser}", pgData]);
        if (chown.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"PostgreSQL must run as the '{ServerUser}' user when the host runs as root, but {pgData} could not be given to it: {chown.Output}");
        }

        var reachable = await ProcessRunner.RunAsync("test", ["-w", pgData, "-a", "-x", pgData], asUser: ServerUser);
        if (reachable.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"PostgreSQL must run as the '{ServerUser}' user when the host runs as root, and that user cannot reach {pgData} " +
                "(a parent directory is private, e.g. /root). Set Commerce__DataDirectory to a directory it can reach, e.g. /var/lib/commerce.");
        }
    }

    private async Task InitDbAsync(string pgData)
    {
        if (Directory.EnumerateFileSystemEntries(pgData).Any())
        {
            throw new InvalidOperationException($"{pgData} is neither empty nor a PostgreSQL cluster; refusing to initialise it.");
        }

        _logger.LogInformation("Initialising a new PostgreSQL cluster in {DataDirectory}", pgData);
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        // initdb reads the superuser's password from a file only the server user can read.
        var passwordInput = Path.Combine(Path.GetTempPath(), $"commerce-initdb-{Guid.NewGuid():N}");
        try
        {
            await File.WriteAllTextAsync(passwordInput, password + "\n");
            RestrictToOwner(passwordInput);
            if (_runAs is not null)
            {
                await ProcessRunner.RunAsync("chown", [_runAs, passwordInput]);
            }

            List<string> arguments =
            [
                "-D", pgData, "-U", SuperUser, $"--pwfile={passwordInput}", "-E", "UTF8", "--no-locale",
                "--auth-host=scram-sha-256", "--auth-local=scram-sha-256",
            ];
            if (!_options.Durable)
            {
                arguments.Add("--no-sync");
            }

            var result = await ProcessRunner.RunAsync(Path.Combine(_binDirectory, "initdb"), arguments, _runAs);
            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException($"initdb failed in {pgData}: {result.Output}");
            }
        }
        finally
        {
            File.Delete(passwordInput);
        }

        var passwordPath = Path.Combine(pgData, PasswordFile);
        await File.WriteAllTextAsync(passwordPath, password);
        RestrictToOwner(passwordPath);
    }

    private static void RestrictToOwner(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    private int? AdoptRunningServer(string pgData)
    {
        var pidFile = Path.Combine(pgData, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return null;
        }

        var lines = File.ReadAllLines(pidFile);
        // postmaster.pid: line 1 the pid, line 4 the port.
        if (lines.Length >= 4 && int.TryParse(lines[0], out var pid) && int.TryParse(lines[3], out var port) && IsPostgresProcess(pid))
        {
            return port;
        }

        // The pid may belong to an unrelated process by now (pids are reused after a reboot or in a
        // container); PostgreSQL would then refuse to start, so the stale file goes.
        _logger.LogWarning("Removing stale {PidFile} left by a server that is no longer running", pidFile);
        File.Delete(pidFile);
        return null;
    }

    private static bool IsPostgresProcess(int pid)
    {
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            return cmdline.Contains("postgres", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private string ServerArguments(string pgData, int port)
    {
        // The socket lives in the data directory so clusters never collide with each other or with a
        // system server; Unix socket paths are limited to 107 bytes, so a deep directory falls back to /tmp.
        var socketDirectory = pgData.Length + 20 < 107 ? pgData : Path.GetTempPath().TrimEnd('/');
        var settings = new Dictionary<string, string>
        {
            ["listen_addresses"] = "127.0.0.1",
            ["port"] = port.ToString(),
            ["unix_socket_directories"] = socketDirectory,
            ["max_connections"] = "200",
        };
        if (!_options.Durable)
        {
            settings["fsync"] = "off";
            settings["synchronous_commit"] = "off";
            settings["full_page_writes"] = "off";
        }

        foreach (var (name, value) in _options.Settings)
        {
            settings[name] = value;
        }

        return string.Join(' ', settings.Select(s => $"-c {s.Key}={s.Value}"));
    }

    private async Task PgCtlAsync(string action, IEnumerable<string> arguments)
    {
        var result = await PgCtlRawAsync(action, arguments);
        if (result.ExitCode != 0)
        {
            var logPath = Path.Combine(_options.DataDirectory, "server.log");
            var log = File.Exists(logPath) ? string.Join('\n', File.ReadLines(logPath).TakeLast(15)) : "";
            throw new InvalidOperationException($"pg_ctl {action} failed for {_options.DataDirectory}: {result.Output}\n{log}");
        }
    }

    private Task<ProcessRunner.Result> PgCtlRawAsync(string action, IEnumerable<string> arguments) =>
        ProcessRunner.RunAsync(Path.Combine(_binDirectory, "pg_ctl"), [action, "-D", _options.DataDirectory, .. arguments], _runAs);

    private static async Task EnsureDatabaseAsync(string adminConnectionString, string database, CancellationToken ct)
    {
        // Unpooled: a pooled connection from before a restart of this server would be handed out broken.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false }.ConnectionString);
        // A cluster that was just adopted may still be finishing crash recovery.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await connection.OpenAsync(ct);
                break;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException && attempt < 60)
            {
                await Task.Delay(500, ct);
            }
        }

        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
            await create.ExecuteNonQueryAsync(ct);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public sealed class PostgresNotFoundException(string message) : Exception(message);

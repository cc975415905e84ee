using System.Diagnostics;
using Commerce.BuildingBlocks.Hosting;
using Commerce.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Commerce.BuildingBlocks.Tests;

public sealed class EmbeddedPostgresTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "commerce-tests", $"embedded-{Guid.NewGuid():N}");

    private Task<EmbeddedPostgres> StartAsync() => EmbeddedPostgres.StartAsync(
        new EmbeddedPostgresOptions { DataDirectory = Path.Combine(_directory, "pg"), Durable = false }, NullLogger.Instance);

    private static async Task<T> ScalarAsync<T>(EmbeddedPostgres server, string sql)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Data_survives_a_stop_and_a_new_start()
    {
        await using (var first = await StartAsync())
        {
            await ScalarAsync<int>(first, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42); SELECT 1");
        }

        await using var second = await StartAsync();

        Assert.Equal(42, await ScalarAsync<int>(second, "SELECT v FROM kept"));
    }

    [Fact]
    public async Task A_second_host_on_the_same_data_directory_is_refused_while_the_first_runs()
    {
        await using var first = await StartAsync();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(StartAsync);

        Assert.Contains("in use by another running Commerce host", error.Message);
    }

    [Fact]
    public async Task A_stale_postmaster_pid_naming_another_live_process_does_not_block_the_start()
    {
        await using (var first = await StartAsync())
        {
            await ScalarAsync<int>(first, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (7); SELECT 1");
        }

        // After a crash and a reboot the pid in postmaster.pid often belongs to some other process: here, this one.
        await File.WriteAllLinesAsync(Path.Combine(_directory, "pg", "postmaster.pid"),
            [Environment.ProcessId.ToString(), Path.Combine(_directory, "pg"), "1700000000", "5999", "/tmp", "127.0.0.1", "1 2", "ready"]);

        await using var second = await StartAsync();

        Assert.Equal(7, await ScalarAsync<int>(second, "SELECT v FROM kept"));
    }

    [Fact]
    public async Task A_cluster_left_running_by_a_killed_host_is_adopted_and_stopped_on_shutdown()
    {
        await using (var first = await StartAsync())
        {
            await ScalarAsync<int>(first, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (9); SELECT 1");
        }

        // What a host killed with kill -9 leaves behind: the server still running, nobody owning it.
        var pgData = Path.Combine(_directory, "pg");
        await RunPgCtlAsync(pgData, "start", "-w", "-l", Path.Combine(pgData, "server.log"), "-o", $"-c listen_addresses=127.0.0.1 -c port={FreePort()} -c unix_socket_directories={pgData}");
        var pid = int.Parse((await File.ReadAllLinesAsync(Path.Combine(pgData, "postmaster.pid")))[0]);

        await using (var adopted = await StartAsync())
        {
            Assert.Equal(9, await ScalarAsync<int>(adopted, "SELECT v FROM kept"));
        }

        Assert.False(File.Exists(Path.Combine(pgData, "postmaster.pid")));
        Assert.False(IsRunning(pid));
    }

    // A stopped server whose parent was not reaped yet lingers as a zombie ('Z'); that is not running.
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    [Fact]
    public void Missing_server_binaries_are_one_clear_error_naming_the_install_command()
    {
        var error = Assert.Throws<PostgresNotFoundException>(() => EmbeddedPostgres.FindBinaries(null, ["/nonexistent/bin"]));

        Assert.Contains("apt-get install -y postgresql", error.Message);
        Assert.Contains("ConnectionStrings__Commerce", error.Message);
    }

    [Fact]
    public void A_configured_binary_directory_without_the_server_is_refused_by_name()
    {
        var error = Assert.Throws<PostgresNotFoundException>(() => EmbeddedPostgres.FindBinaries("/nonexistent/bin", []));

        Assert.Contains("/nonexistent/bin", error.Message);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunPgCtlAsync(string pgData, params string[] arguments)
    {
        var pgCtl = Path.Combine(EmbeddedPostgres.FindBinaries(null), "pg_ctl");
        var info = Environment.IsPrivilegedProcess ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", pgCtl]) : new ProcessStartInfo(pgCtl);
        info.ArgumentList.Add(arguments[0]);
        info.ArgumentList.Add("-D");
        info.ArgumentList.Add(pgData);
        foreach (var argument in arguments.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public async Task A_server_killed_abruptly_starts_again_on_its_fixed_port_though_the_connections_pooled_before_broke()
    {
        var options = new EmbeddedPostgresOptions { DataDirectory = Path.Combine(_directory, "pg"), Durable = false, Port = FreeLoopbackPort() };
        var first = await EmbeddedPostgres.StartAsync(options, NullLogger.Instance);
        await first.StopImmediatelyAsync();
        await first.DisposeAsync();

        await using var second = await EmbeddedPostgres.StartAsync(options, NullLogger.Instance);

        Assert.Equal(options.Port, second.Port);
        Assert.Equal(first.ConnectionString, second.ConnectionString);
        Assert.Equal(1, await ScalarAsync<int>(second, "SELECT 1"));
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the next run's clean-up.
        }
    }
}

using System.Collections.Concurrent;
using System.Net;
using Commerce.Testing;

namespace Commerce.Host.Tests;

/// <summary>The host as a real process on its own embedded PostgreSQL: restarts, kill -9, data kept.</summary>
[StartFirst]
public sealed class EmbeddedHostTests : IDisposable
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "commerce-tests", $"host-{Guid.NewGuid():N}");

    private Task<HostProcess> StartAsync() => HostProcess.StartAsync(new Dictionary<string, string>
    {
        ["Commerce__DataDirectory"] = _dataDirectory,
        ["Commerce__Admin__Email"] = "admin@test.local",
        ["Commerce__Admin__Password"] = "Admin-password-1",
    });

    private static async Task<HttpStatusCode> LoginAsync(HostProcess host, string email) =>
        (await host.CreateClient().PostAsJsonAsync("/api/auth/token", new { email, password = "Secret-pass-1" })).StatusCode;

    private static async Task<HttpStatusCode> MeAsync(HostProcess host, string token)
    {
        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return (await client.GetAsync("/api/me")).StatusCode;
    }

    [Fact]
    public async Task A_host_killed_with_kill_9_starts_again_on_its_data_and_a_clean_stop_stops_the_database()
    {
        var first = await StartAsync();
        var signUp = await first.CreateClient().PostAsJsonAsync("/api/members", new { name = "Kept", email = "kept@test.local", password = "Secret-pass-1" });
        Assert.Equal(HttpStatusCode.Created, signUp.StatusCode);
        var login = await first.CreateClient().PostAsJsonAsync("/api/auth/token", new { email = "kept@test.local", password = "Secret-pass-1" });
        var token = (await login.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["accessToken"]!.GetValue<string>();
        await first.KillAsync();
        var pidFile = Path.Combine(_dataDirectory, "postgres", "postmaster.pid");
        Assert.True(File.Exists(pidFile), "the killed host left its database running");

        await using (var second = await StartAsync())
        {
            Assert.Equal(HttpStatusCode.OK, (await second.CreateClient().GetAsync("/health/ready")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, await LoginAsync(second, "kept@test.local"));
            // The token key ring lives in the database: a token from before the crash still opens the API.
            Assert.Equal(HttpStatusCode.OK, await MeAsync(second, token));
            Assert.Contains("left running", second.Output);
            await second.StopAsync();
        }

        Assert.False(File.Exists(pidFile), "a clean stop stops the database");

        await using var third = await StartAsync();
        Assert.Equal(HttpStatusCode.OK, await LoginAsync(third, "kept@test.local"));
    }

    [Fact]
    public async Task A_host_and_its_PostgreSQL_killed_together_with_kill_9_mid_traffic_start_again_with_every_acknowledged_charge()
    {
        var first = await StartAsync();
        var client = first.CreateClient();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/members", new { name = "Crash", email = "crash@test.local", password = "Secret-pass-1" })).StatusCode);
        await SignInAsync(client, "crash@test.local");

        // Charges of distinct amounts flow until the power goes: the host and every PostgreSQL process die at once,
        // as when a container or a machine is killed. Nothing gets to flush or shut down.
        var acknowledged = new ConcurrentBag<long>();
        var attempted = new ConcurrentBag<long>();
        var amounts = 1_000L;
        var charging = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!first.HasExited)
            {
                var amount = Interlocked.Increment(ref amounts);
                attempted.Add(amount);
                try
                {
                    var response = await client.PostAsJsonAsync("/api/me/points/charge", new { amount });
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        acknowledged.Add(amount);
                    }
                }
                catch (HttpRequestException)
                {
                    return;
                }
            }
        })).ToArray();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (acknowledged.Count < 30 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        var pidFile = Path.Combine(_dataDirectory, "postgres", "postmaster.pid");
        var postmaster = int.Parse(File.ReadLines(pidFile).First());
        var children = ChildrenOf(postmaster);
        KillNow(postmaster);
        children.ForEach(KillNow);
        await first.KillAsync();
        await Task.WhenAll(charging);
        Assert.True(File.Exists(pidFile), "PostgreSQL had no chance to remove its pid file");

        await using var second = await StartAsync();
        Assert.Contains("Removing stale", second.Output);
        var after = second.CreateClient();
        await SignInAsync(after, "crash@test.local");
        var history = new List<long>();
        for (var page = 1; ; page++)
        {
            var items = (await after.GetFromJsonAsync<HistoryPage>($"/api/me/points/history?page={page}&pageSize=100"))!.Items;
            history.AddRange(items.Select(i => i.Amount));
            if (items.Count < 100)
            {
                break;
            }
        }

        // Every charge the host acknowledged is there; a charge whose answer the kill swallowed may be, too; the
        // balance is the sum of the ledger.
        Assert.Subset(history.ToHashSet(), acknowledged.ToHashSet());
        Assert.Subset(attempted.ToHashSet(), history.ToHashSet());
        Assert.Equal(history.Sum(), (await after.GetFromJsonAsync<BalanceResponse>("/api/me/points"))!.Balance);
    }

    private sealed record HistoryPage(IReadOnlyList<HistoryEntry> Items);

    private sealed record HistoryEntry(long Amount);

    private sealed record BalanceResponse(long Balance);

    private static async Task SignInAsync(HttpClient client, string email)
    {
        var token = await (await client.PostAsJsonAsync("/api/auth/token", new { email, password = "Secret-pass-1" })).Content.ReadFromJsonAsync<Token>();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token!.AccessToken);
    }

    private sealed record Token(string AccessToken);

    /// <summary>The processes whose parent is <paramref name="pid"/> (a postmaster's server processes), from /proc.</summary>
    private static List<int> ChildrenOf(int pid) => Directory.GetDirectories("/proc")
        .Select(Path.GetFileName)
        .Where(name => int.TryParse(name, out _))
        .Select(name => (Pid: int.Parse(name!), Stat: TryRead($"/proc/{name}/stat")))
        // stat is "pid (comm) state ppid ...": the parent is the second field after the closing parenthesis.
        .Where(p => p.Stat is { } stat && stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1] == pid.ToString())
        .Select(p => p.Pid)
        .ToList();

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static void KillNow(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            // Gone already.
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the next run's clean-up.
        }
    }
}

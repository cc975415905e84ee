using System.Net;
using Commerce.Testing;

namespace Commerce.Host.Tests;

/// <summary>The host as a real process on its own embedded PostgreSQL: restarts, kill -9, data kept.</summary>
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

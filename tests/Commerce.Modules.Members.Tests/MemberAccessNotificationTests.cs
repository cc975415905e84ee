using System.Net;
using System.Net.Http.Json;
using Commerce.Modules.Members.Auth;
using Commerce.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Commerce.Modules.Members.Tests;

/// <summary>A host that trusts what the member check read for an hour while it listens, and for 4 s while it does not.</summary>
public sealed class ListeningApp(string? sharedDatabase = null, string? listenerRole = null) : CommerceApp
{
    public static readonly TimeSpan ShortDuration = TimeSpan.FromSeconds(4);

    internal MemberStatusCache StatusCache => Services.GetRequiredService<MemberStatusCache>();

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Commerce:Members:StatusCache:Duration"] = ShortDuration.ToString(),
        ["Commerce:Members:StatusCache:DurationWhileListening"] = "01:00:00",
    };

    protected override Task<string> DatabaseAsync() => sharedDatabase is null ? base.DatabaseAsync() : Task.FromResult(sharedDatabase);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        if (listenerRole is not null)
        {
            // The listener logs in as a role of its own, so a test can keep it from connecting again (ALTER ROLE ... NOLOGIN)
            // while the host's request pool goes on as before.
            builder.ConfigureTestServices(services => services.AddKeyedSingleton(MemberAccessListener.DataSourceKey, (_, _) =>
                NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Sql.ConnectionString)
                {
                    Username = listenerRole,
                    ApplicationName = MemberAccessListener.ApplicationName,
                    KeepAlive = (int)MemberAccessListener.KeepAlive.TotalSeconds,
                }.ConnectionString)));
        }
    }
}

/// <summary>Two instances of the host on one database; B's listener logs in as <see cref="ListenerRole"/>.</summary>
public sealed class TwoInstances : IAsyncLifetime
{
    public ListeningApp A { get; } = new();

    public ListeningApp B { get; private set; } = null!;

    public string ListenerRole { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // One after the other: the first creates what the second finds (the admin, the key ring).
        await A.InitializeAsync();
        var connection = new NpgsqlConnectionStringBuilder(A.Sql.ConnectionString);
        ListenerRole = $"listener_{connection.Database}";
        // LISTEN needs no privilege beyond connecting; the password is the test server's own.
        await A.Sql.ExecuteAsync($"CREATE ROLE \"{ListenerRole}\" LOGIN PASSWORD '{connection.Password?.Replace("'", "''", StringComparison.Ordinal)}'");
        B = new ListeningApp(A.Sql.ConnectionString, ListenerRole);
        await B.InitializeAsync();
    }

    public Task BothListeningAsync() => Eventually.TrueAsync(
        () => Task.FromResult(A.StatusCache.IsListening && B.StatusCache.IsListening), TimeSpan.FromSeconds(15), "both instances listen");

    public async Task DisposeAsync()
    {
        await B.DisposeAsync();
        await A.DisposeAsync();
        await A.Sql.ExecuteAsync($"DROP ROLE \"{ListenerRole}\"");
    }
}

/// <summary>
/// A change of an account is felt on every instance at once, though each trusts what it read for an hour: the trigger
/// announces it and each instance's listener forgets the member. Refusals are awaited for 2 s, half the 4 s an instance
/// that does not listen trusts an entry, so only a notification explains them.
/// </summary>
public sealed class MemberAccessNotificationTests(TwoInstances hosts) : IClassFixture<TwoInstances>
{
    private static readonly TimeSpan Notified = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_member_disabled_by_an_admin_on_one_instance_is_refused_on_the_other_at_once()
    {
        await hosts.BothListeningAsync();
        var member = await hosts.A.NewMemberAsync();
        using var onB = hosts.B.ClientFor(member);
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/api/me")).StatusCode);

        using var admin = await hosts.A.AdminAsync();
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/admin/members/{member.Id}/status", new { status = "DISABLED" })).StatusCode);

        await RefusedWithinAsync(onB, "/api/me", HttpStatusCode.Forbidden, "NOT_A_MEMBER", Notified);
    }

    [Fact]
    public async Task A_change_made_by_hand_in_SQL_is_felt_on_every_instance_at_once()
    {
        await hosts.BothListeningAsync();
        var disabled = await hosts.A.NewMemberAsync();
        var deleted = await hosts.A.NewMemberAsync();
        var demoted = await TestMembers.InsertOneAsync(hosts.A.Sql, role: "admin");
        var clients = new[] { hosts.A, hosts.B }.SelectMany(h => new[]
        {
            (Client: h.ClientFor(disabled), Path: "/api/me", Code: "NOT_A_MEMBER"),
            (Client: h.ClientFor(deleted), Path: "/api/me", Code: "NOT_A_MEMBER"),
            (Client: h.ClientFor(demoted), Path: "/api/admin/outbox/pending", Code: "FORBIDDEN"),
        }).ToList();
        foreach (var (client, path, _) in clients)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(path)).StatusCode);
        }

        await hosts.A.Sql.ExecuteAsync("UPDATE members.members SET status = 'DISABLED' WHERE id = @Id", new { disabled.Id });
        await hosts.A.Sql.ExecuteAsync("DELETE FROM members.members WHERE id = @Id", new { deleted.Id });
        await hosts.A.Sql.ExecuteAsync("UPDATE members.members SET role = 'member' WHERE id = @Id", new { demoted.Id });

        foreach (var (client, path, code) in clients)
        {
            await RefusedWithinAsync(client, path, HttpStatusCode.Forbidden, code, Notified);
            client.Dispose();
        }
    }

    [Fact]
    public async Task While_the_listener_is_lost_a_change_is_felt_within_the_short_duration_and_once_it_is_back_at_once_again()
    {
        await hosts.BothListeningAsync();
        var member = await hosts.A.NewMemberAsync();
        var later = await hosts.A.NewMemberAsync();
        using var onB = hosts.B.ClientFor(member);
        using var laterOnB = hosts.B.ClientFor(later);
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/api/me")).StatusCode);

        // B's listener cannot log in again, then its session is ended: B stays deaf for as long as this test wants.
        await hosts.A.Sql.ExecuteAsync($"ALTER ROLE \"{hosts.ListenerRole}\" NOLOGIN");
        try
        {
            Assert.Equal(1, await hosts.A.Sql.ScalarAsync<int>(
                "SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity WHERE application_name = @Name AND usename = @Role",
                new { Name = MemberAccessListener.ApplicationName, Role = hosts.ListenerRole }));
            await Eventually.TrueAsync(() => Task.FromResult(!hosts.B.StatusCache.IsListening), TimeSpan.FromSeconds(10), "B notices it lost its listener");

            await hosts.A.Sql.ExecuteAsync("UPDATE members.members SET status = 'DISABLED' WHERE id = @Id", new { member.Id });

            await RefusedWithinAsync(onB, "/api/me", HttpStatusCode.Forbidden, "NOT_A_MEMBER", ListeningApp.ShortDuration + TimeSpan.FromSeconds(1));
            Assert.False(hosts.B.StatusCache.IsListening);
        }
        finally
        {
            await hosts.A.Sql.ExecuteAsync($"ALTER ROLE \"{hosts.ListenerRole}\" LOGIN");
        }

        await hosts.BothListeningAsync();
        Assert.Equal(HttpStatusCode.OK, (await laterOnB.GetAsync("/api/me")).StatusCode);

        await hosts.A.Sql.ExecuteAsync("UPDATE members.members SET status = 'DISABLED' WHERE id = @Id", new { later.Id });

        await RefusedWithinAsync(laterOnB, "/api/me", HttpStatusCode.Forbidden, "NOT_A_MEMBER", Notified);
    }

    /// <summary>Polls until the request is refused; a success (still trusted) means not yet.</summary>
    private static async Task RefusedWithinAsync(HttpClient client, string path, HttpStatusCode status, string code, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            using var response = await client.GetAsync(path);
            if (response.StatusCode == status)
            {
                Assert.Equal(code, (await response.JsonAsync())["code"]!.GetValue<string>());
                return;
            }

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(DateTime.UtcNow < deadline, $"{path} was still answered {(int)response.StatusCode} {limit.TotalSeconds:0.#} s after the change");
            await Task.Delay(50);
        }
    }
}

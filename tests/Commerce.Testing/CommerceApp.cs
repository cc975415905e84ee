using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Claims;
using Commerce.BuildingBlocks.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Commerce.Testing;

/// <summary>
/// The real host (Program) on Kestrel on a loopback port, on a fresh database, with a movable clock.
/// Clients talk real HTTP. Use as an xunit class fixture.
/// </summary>
public class CommerceApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminEmail = "admin@test.local";
    public const string AdminPassword = "Admin-password-1";

    public TestClock Clock { get; } = new();

    public Sql Sql { get; private set; } = null!;

    /// <summary>This host's <c>Commerce:DataDirectory</c> (e.g. the local data platform sink), removed with the fixture.</summary>
    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "commerce-app", Guid.NewGuid().ToString("N"));

    /// <summary>Settings on top of the test defaults.</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    /// <summary>The database this host runs on: a fresh one, unless a second instance shares another host's.</summary>
    protected virtual Task<string> DatabaseAsync() => TestPostgres.CreateDatabaseAsync();

    public async Task InitializeAsync()
    {
        Sql = new Sql(await DatabaseAsync());
        DapperConventions.Apply();
        UseKestrel(0);
        StartServer();
        await ContractCheck.LoadAsync(() => Anonymous().GetStringAsync("/openapi/v1.json"));
    }

    /// <summary>Every answer this host gives to a documented operation, checked against the OpenAPI document.</summary>
    public ContractCheck Contract { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Commerce"] = Sql.ConnectionString,
            ["Commerce:Admin:Email"] = AdminEmail,
            ["Commerce:Admin:Password"] = AdminPassword,
            ["Commerce:DataDirectory"] = DataDirectory,
            ["Commerce:Logging:MinimumLevel"] = "Warning",
            ["Commerce:Idempotency:CleanupInterval"] = "00:00:01",
            // Load shedding on, but patient: a concurrency test's burst on a busy CI machine must be served, not shed.
            ["Commerce:Overload:MaxQueueWait"] = "00:00:30",
            ["Commerce:Overload:Reads:QueueLimit"] = "100000",
            ["Commerce:Overload:Writes:QueueLimit"] = "100000",
        };
        // Rate limits on, but generous: tests that fire hundreds of requests from one member or one address are
        // not refused. The abuse tests set strict ones through Settings.
        foreach (var policy in new[] { "Login", "LoginPerEmail", "SignUp", "IssueCoupon", "ChargePoints" })
        {
            settings[$"Commerce:RateLimits:{policy}:PermitLimit"] = "1000000";
        }

        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services => services
            .AddSingleton<TimeProvider>(Clock)
            .AddTransient(_ => Contract.StartupFilter()));
    }

    /// <summary>An anonymous client.</summary>
    public HttpClient Anonymous() => CreateClient();

    /// <summary>A client carrying a real bearer token for <paramref name="member"/>, minted by the host's own token protector.</summary>
    public HttpClient ClientFor(TestMember member)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TokenFor(member.Id, member.Role));
        return client;
    }

    /// <summary>A client whose connections come from <paramref name="address"/> (any 127.0.0.0/8 address is loopback on Linux).</summary>
    public HttpClient ClientFrom(string address, TestMember? member = null)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        using var probe = Anonymous();
        var client = new HttpClient(handler) { BaseAddress = probe.BaseAddress };
        if (member is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", TokenFor(member.Id, member.Role));
        }

        return client;
    }

    public string TokenFor(long memberId, string role = "member", TimeSpan? lifetime = null)
    {
        var options = Services.GetRequiredService<IOptionsMonitor<BearerTokenOptions>>().Get(BearerTokenDefaults.AuthenticationScheme);
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, memberId.ToString()), new Claim(ClaimTypes.Role, role)],
            BearerTokenDefaults.AuthenticationScheme);
        var now = Clock.GetUtcNow();
        var properties = new AuthenticationProperties { IssuedUtc = now, ExpiresUtc = now + (lifetime ?? options.BearerTokenExpiration) };
        return options.BearerTokenProtector.Protect(new AuthenticationTicket(new ClaimsPrincipal(identity), properties, BearerTokenDefaults.AuthenticationScheme));
    }

    /// <summary>A refresh token for a new login session of <paramref name="memberId"/>, as a login would issue it.</summary>
    public string RefreshTokenFor(long memberId, string role = "member")
    {
        var options = Services.GetRequiredService<IOptionsMonitor<BearerTokenOptions>>().Get(BearerTokenDefaults.AuthenticationScheme);
        var principal = Commerce.Modules.Members.Auth.MemberTokens.Principal(memberId, role, Guid.NewGuid(), generation: 0);
        var properties = new AuthenticationProperties { ExpiresUtc = Clock.GetUtcNow() + options.RefreshTokenExpiration };
        return options.RefreshTokenProtector.Protect(new AuthenticationTicket(principal, properties, $"{BearerTokenDefaults.AuthenticationScheme}:RefreshToken"));
    }

    public async Task<HttpClient> AdminAsync()
    {
        var id = await Sql.ScalarAsync<long>("SELECT id FROM members.members WHERE email = @AdminEmail", new { AdminEmail });
        return ClientFor(new TestMember(id, AdminEmail, AdminPassword, "admin"));
    }

    public Task<TestMember> NewMemberAsync(string status = "ACTIVE") => TestMembers.InsertOneAsync(Sql, status: status);

    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }

        GC.SuppressFinalize(this);
        // After the server has stopped: every answer it gave has been checked.
        Contract.Report(GetType().Name);
        if (Contract.Violations.Count > 0)
        {
            throw new InvalidOperationException($"{Contract.Violations.Count} answers of {GetType().Name} broke the OpenAPI document:\n" +
                string.Join("\n", Contract.Violations.Distinct().Take(30)));
        }
    }
}

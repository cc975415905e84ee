using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Commerce.Host.RateLimiting;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Commerce.Host.Tests;

/// <summary>A host whose request pool holds three connections and waits one second for one.</summary>
public class StarvedPoolApp : CommerceApp
{
    public const int PoolSize = 3;

    protected virtual int ConnectTimeoutSeconds => 1;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["ConnectionStrings:Commerce"] = $"{Sql.ConnectionString};Maximum Pool Size={PoolSize};Timeout={ConnectTimeoutSeconds}",
    };

    /// <summary>Takes every connection of the host's request pool until the result is disposed.</summary>
    public async Task<IAsyncDisposable> HoldEveryConnectionAsync()
    {
        var dataSource = Services.GetRequiredService<NpgsqlDataSource>();
        var held = new List<NpgsqlConnection>();
        for (var i = 0; i < PoolSize; i++)
        {
            held.Add(await dataSource.OpenConnectionAsync());
        }

        return new Held(held);
    }

    private sealed class Held(List<NpgsqlConnection> connections) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }
}

/// <summary>
/// Under contention a request that cannot get a connection in time is answered 503 with Retry-After, never 500: the
/// login (which opens connections of its own), the member check every authenticated request makes, and an ordinary
/// command. Nothing of a refused command is committed.
/// </summary>
public sealed class ContentionTests(StarvedPoolApp app) : IClassFixture<StarvedPoolApp>
{
    [Fact]
    public async Task A_valid_login_while_every_connection_is_taken_is_503_with_Retry_After_then_succeeds()
    {
        var member = await app.NewMemberAsync();
        using var anonymous = app.Anonymous();

        await using (await app.HoldEveryConnectionAsync())
        {
            var refused = await anonymous.PostJsonAsync("/api/auth/token", new { email = member.Email, password = member.Password });
            await AssertUnavailableAsync(refused);
        }

        var login = await anonymous.PostJsonAsync("/api/auth/token", new { email = member.Email, password = member.Password });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Fact]
    public async Task The_member_check_and_a_command_while_every_connection_is_taken_are_503_and_commit_nothing()
    {
        var member = await app.NewMemberAsync();
        using var client = app.ClientFor(member);

        await using (await app.HoldEveryConnectionAsync())
        {
            await AssertUnavailableAsync(await client.GetAsync("/api/me"));
            await AssertUnavailableAsync(await client.PostJsonAsync("/api/me/points/charge", new { amount = 1_000 }, idempotencyKey: "starved-1"));
        }

        Assert.Equal(0, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM points.ledger WHERE member_id = @Id", new { member.Id }));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/me")).StatusCode);
    }

    private static async Task AssertUnavailableAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal("DATABASE_UNAVAILABLE", (await response.JsonAsync())["code"]!.GetValue<string>());
    }
}

/// <summary>A host that runs one read and one write at a time and queues none.</summary>
public sealed class OneAtATimeApp : StarvedPoolApp
{
    protected override int ConnectTimeoutSeconds => 10;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Commerce:Overload:Reads:MaxConcurrentRequests"] = "1",
        ["Commerce:Overload:Reads:QueueLimit"] = "0",
        ["Commerce:Overload:Writes:MaxConcurrentRequests"] = "1",
        ["Commerce:Overload:Writes:QueueLimit"] = "0",
        ["Commerce:Overload:MaxQueueWait"] = "00:00:00",
    };
}

[Collection(ShedCounter.Collection)]
public sealed class OverloadTests(OneAtATimeApp app) : IClassFixture<OneAtATimeApp>
{
    [Fact]
    public async Task Beyond_what_it_admits_the_host_answers_503_OVERLOADED_at_once_commits_nothing_and_then_serves_normally()
    {
        var member = await app.NewMemberAsync();
        using var client = app.ClientFor(member);
        using var otherClient = app.ClientFor(await app.NewMemberAsync());
        var gate = app.Services.GetRequiredService<OverloadGate>();
        Task<HttpResponseMessage> admitted;

        await using (await app.HoldEveryConnectionAsync())
        {
            // The one write slot goes to another member's request, which then waits for a pooled connection.
            admitted = otherClient.PostJsonAsync("/api/me/points/charge", new { amount = 500 }, idempotencyKey: "admitted-1");
            await Eventually.TrueAsync(() => Task.FromResult(gate.Writes.GetStatistics()!.CurrentAvailablePermits == 0), TimeSpan.FromSeconds(8));

            var started = Stopwatch.GetTimestamp();
            var refused = await client.PostJsonAsync("/api/me/points/charge", new { amount = 1_000 }, idempotencyKey: "overloaded-1");
            var elapsed = Stopwatch.GetElapsedTime(started);

            var body = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)refused.StatusCode}: {body}");
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
            var problem = await refused.JsonAsync();
            Assert.Equal("OVERLOADED", problem["code"]!.GetValue<string>());
            Assert.True(problem["retryable"]!.GetValue<bool>());
            Assert.Equal(503, problem["status"]!.GetValue<int>());
            // Refused at once, not after waiting for the busy request (which holds its slot for up to ten seconds).
            Assert.True(elapsed < TimeSpan.FromSeconds(5), $"refused after {elapsed.TotalMilliseconds:0} ms");
            Assert.Equal(0, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM points.ledger WHERE member_id = @Id", new { member.Id }));
            Assert.Equal(0, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM platform.idempotency_keys WHERE member_id = @Id", new { member.Id }));
        }

        Assert.Equal(HttpStatusCode.OK, (await admitted).StatusCode);
        var retried = await client.PostJsonAsync("/api/me/points/charge", new { amount = 1_000 }, idempotencyKey: "overloaded-1");
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(1, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM points.ledger WHERE member_id = @Id", new { member.Id }));
    }

    [Fact]
    public async Task A_flood_of_writes_does_not_shed_reads_and_each_shed_write_is_counted()
    {
        var member = await app.NewMemberAsync();
        using var client = app.ClientFor(member);
        var gate = app.Services.GetRequiredService<OverloadGate>();
        using var shed = new ShedCounter();

        // The test holds the one write slot: every write of the flood is refused, while each read still runs.
        using (var busy = gate.Writes.AttemptAcquire())
        {
            Assert.True(busy.IsAcquired);
            for (var round = 0; round < 10; round++)
            {
                var flood = Enumerable.Range(0, 10)
                    .Select(i => client.PostJsonAsync("/api/me/points/charge", new { amount = 100 }, idempotencyKey: $"write-flood-{round}-{i}"))
                    .ToArray();
                var read = await client.GetAsync("/api/me");
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
                foreach (var refused in await Task.WhenAll(flood))
                {
                    await AssertOverloadedAsync(refused);
                }
            }
        }

        Assert.Equal((0, 100), (shed.Reads, shed.Writes));
        Assert.Equal(0, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM points.ledger WHERE member_id = @Id", new { member.Id }));
    }

    [Fact]
    public async Task A_flood_of_reads_does_not_shed_writes()
    {
        var member = await app.NewMemberAsync();
        using var client = app.ClientFor(member);
        var gate = app.Services.GetRequiredService<OverloadGate>();
        using var shed = new ShedCounter();

        using (var busy = gate.Reads.AttemptAcquire())
        {
            Assert.True(busy.IsAcquired);
            for (var round = 0; round < 10; round++)
            {
                var flood = Enumerable.Range(0, 10).Select(_ => client.GetAsync("/api/me/points")).ToArray();
                var write = await client.PostJsonAsync("/api/me/points/charge", new { amount = 100 }, idempotencyKey: $"read-flood-{round}");
                Assert.Equal(HttpStatusCode.OK, write.StatusCode);
                foreach (var refused in await Task.WhenAll(flood))
                {
                    await AssertOverloadedAsync(refused);
                }
            }
        }

        Assert.Equal((100, 0), (shed.Reads, shed.Writes));
        Assert.Equal(10, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM points.ledger WHERE member_id = @Id", new { member.Id }));
    }

    private static async Task AssertOverloadedAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {body}");
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        Assert.Equal("OVERLOADED", (await response.JsonAsync())["code"]!.GetValue<string>());
    }

    [Fact]
    public void A_database_failure_wrapped_by_a_framework_part_is_503_not_500()
    {
        var keyRingFailure = new System.Security.Cryptography.CryptographicException("An exception occurred while trying to encrypt the provided data.",
            new NpgsqlException("The connection pool has been exhausted", new TimeoutException()));

        var problem = Commerce.Host.Errors.ProblemMapper.Map(keyRingFailure);

        Assert.Equal(503, problem.Status);
        Assert.Equal("DATABASE_UNAVAILABLE", problem.Extensions["code"]);
    }
}

/// <summary>Adds up <c>commerce.requests.shed</c> by kind while it lives. The meter is static, so every test class
/// that sheds (or records sheds) joins <see cref="Collection"/>: one test at a time, none adds to another's count.</summary>
internal sealed class ShedCounter : IDisposable
{
    public const string Collection = "Shedding";

    private readonly MeterListener _listener = new();
    private long _reads;
    private long _writes;

    public ShedCounter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Commerce" && instrument.Name == "commerce.requests.shed")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "kind")
                {
                    Interlocked.Add(ref (string?)tag.Value == "read" ? ref _reads : ref _writes, value);
                }
            }
        });
        _listener.Start();
    }

    public long Reads => Interlocked.Read(ref _reads);

    public long Writes => Interlocked.Read(ref _writes);

    public void Dispose() => _listener.Dispose();
}

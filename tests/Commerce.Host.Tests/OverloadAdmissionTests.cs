using System.Diagnostics;
using System.Net;
using Commerce.Host.RateLimiting;
using Commerce.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commerce.Host.Tests;

/// <summary>The admission rule: a request that finds every slot taken waits only if the queue ahead of it drains in time.</summary>
public sealed class AdmissionRuleTests
{
    [Theory]
    [InlineData(640, 250, 0, true)]
    [InlineData(640, 250, 159, true)]
    [InlineData(640, 250, 160, false)] // 160 ahead take the whole 250 ms at 640 a second
    [InlineData(640, 250, 1_000, false)]
    [InlineData(600, 500, 299, true)]
    [InlineData(600, 500, 300, false)]
    [InlineData(2, 250, 0, true)] // a slot comes back every half second: one may wait, as the rule cannot know when
    [InlineData(2, 250, 1, false)]
    [InlineData(0, 250, 0, false)] // nothing completes: nothing can be served in time
    [InlineData(640, 0, 0, false)] // no wait allowed: nobody queues
    public void A_request_may_queue_only_if_those_ahead_are_served_within_the_wait(double perSecond, int waitMs, long queued, bool mayQueue) =>
        Assert.Equal(mayQueue, OverloadGate.MayQueue(queued, perSecond, TimeSpan.FromMilliseconds(waitMs)));

    [Fact]
    public void Before_anything_completed_the_rate_is_unbounded_so_a_cold_instance_queues_up_to_its_limit()
    {
        var held = new SlotTime();

        Assert.Equal(double.PositiveInfinity, held.CompletionsPerSecond(32));
        Assert.True(OverloadGate.MayQueue(10_000, held.CompletionsPerSecond(32), TimeSpan.FromMilliseconds(300)));
        Assert.False(OverloadGate.MayQueue(0, held.CompletionsPerSecond(32), TimeSpan.Zero));
    }

    [Fact]
    public void The_rate_is_the_permits_over_the_mean_time_a_slot_is_held_weighted_towards_the_latest()
    {
        var held = new SlotTime();

        // A cold instance's first, slow request does not make it refuse: the mean climbs towards what is measured.
        held.Record(TimeSpan.FromSeconds(1));
        Assert.Equal(32 * 32, held.CompletionsPerSecond(32), precision: 6);

        for (var i = 0; i < 1_000; i++)
        {
            held.Record(TimeSpan.FromMilliseconds(50));
        }

        Assert.Equal(640, held.CompletionsPerSecond(32), tolerance: 1);

        // The instance slows down (an overload): a few hundred completions later the rate is the new one.
        for (var i = 0; i < 300; i++)
        {
            held.Record(TimeSpan.FromMilliseconds(200));
        }

        Assert.Equal(160, held.CompletionsPerSecond(32), tolerance: 1);
    }
}

/// <summary>A host that runs one write at a time and lets the rest wait (the tests' patient 30 s).</summary>
public sealed class OverloadOptionsTests
{
    [Fact]
    public void A_key_the_section_does_not_have_refuses_to_start()
    {
        // The key before Reads and Writes existed: an upgrade that kept it must not run with the defaults unnoticed.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Commerce:Overload:MaxConcurrentRequests"] = "64" })
            .Build();
        using var services = new ServiceCollection().AddOverloadShedding(configuration).BuildServiceProvider();

        var refused = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IOptions<OverloadOptions>>().Value);
        Assert.Contains("MaxConcurrentRequests", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_keys_it_has_bind()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Commerce:Overload:Writes:MaxConcurrentRequests"] = "7" })
            .Build();
        using var services = new ServiceCollection().AddOverloadShedding(configuration).BuildServiceProvider();

        Assert.Equal(7, services.GetRequiredService<IOptions<OverloadOptions>>().Value.Writes.MaxConcurrentRequests);
    }
}

public sealed class OneWriteAtATimeApp : CommerceApp
{
    public static readonly TimeSpan MaxQueueWait = TimeSpan.FromSeconds(30);

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Commerce:Overload:Writes:MaxConcurrentRequests"] = "1",
        ["Commerce:Overload:MaxQueueWait"] = MaxQueueWait.ToString(),
    };
}

[Collection(ShedCounter.Collection)]
public sealed class OverloadAdmissionTests(OneWriteAtATimeApp app) : IClassFixture<OneWriteAtATimeApp>
{
    [Fact]
    public async Task With_the_queue_at_its_rate_bound_the_next_request_is_refused_at_once_and_commits_nothing()
    {
        var waiting = await app.NewMemberAsync();
        var refusedMember = await app.NewMemberAsync();
        using var waitingClient = app.ClientFor(waiting);
        using var client = app.ClientFor(refusedMember);
        var gate = app.Services.GetRequiredService<OverloadGate>();
        // As far as the gate knows, a write holds the one slot for a minute: within the 30-s wait the queue serves at
        // most the one request already in it.
        for (var i = 0; i < 300; i++)
        {
            gate.Completed(RequestKind.Write, TimeSpan.FromMinutes(1));
        }

        Task<HttpResponseMessage> queued;
        using (var busy = gate.Writes.AttemptAcquire())
        {
            Assert.True(busy.IsAcquired);
            queued = waitingClient.PostJsonAsync("/api/me/points/charge", new { amount = 500 }, idempotencyKey: "queued-1");
            await Eventually.TrueAsync(() => Task.FromResult(gate.Writes.GetStatistics()!.CurrentQueuedCount == 1), TimeSpan.FromSeconds(20));

            var started = Stopwatch.GetTimestamp();
            var refused = await client.PostJsonAsync("/api/me/points/charge", new { amount = 1_000 }, idempotencyKey: "refused-1");
            var elapsed = Stopwatch.GetElapsedTime(started);

            var body = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)refused.StatusCode}: {body}");
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
            Assert.Equal("OVERLOADED", (await refused.JsonAsync())["code"]!.GetValue<string>());
            // At once, not after the 30 s it would have waited in vain (generous, for a loaded machine).
            Assert.True(elapsed < TimeSpan.FromSeconds(5), $"refused after {elapsed.TotalMilliseconds:0} ms");
            Assert.Equal(1, gate.Writes.GetStatistics()!.CurrentQueuedCount);
        }

        // The one that waited is served once the slot is free; the refused one left nothing behind and may try again.
        Assert.Equal(HttpStatusCode.OK, (await queued).StatusCode);
        Assert.Equal(1, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM points.ledger WHERE member_id = @Id", new { waiting.Id }));
        Assert.Equal(0, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM points.ledger WHERE member_id = @Id", new { refusedMember.Id }));
        Assert.Equal(0, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM platform.idempotency_keys WHERE member_id = @Id", new { refusedMember.Id }));
        var retried = await client.PostJsonAsync("/api/me/points/charge", new { amount = 1_000 }, idempotencyKey: "refused-1");
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
    }
}

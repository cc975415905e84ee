using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Outbox.Features;
using Commerce.Testing;

namespace Commerce.BuildingBlocks.Tests.Relay;

/// <summary>Dead letters and requeue through the real host: ChargePoints commits the events, the host's own relay sends them.</summary>
public sealed class OutboxAdminTests(DataPlatformApp app) : IClassFixture<DataPlatformApp>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_rejected_event_is_dead_lettered_after_one_try_its_stream_flows_on_and_a_requeue_sends_it_again_with_the_same_id()
    {
        var member = await app.NewMemberAsync();
        var stream = $"member-{member.Id}";
        app.Platform.Answer = e => e.StreamId == stream && Amount(e) == 4_040 ? 400 : null;
        var client = app.ClientFor(member);
        foreach (var amount in new[] { 1_000, 4_040, 2_000 })
        {
            (await client.PostAsJsonAsync("/api/me/points/charge", new { amount })).EnsureSuccessStatusCode();
        }

        await app.Platform.WaitUntilAsync(r => r.Count(x => x.Event.StreamId == stream && x.Acknowledged) == 2, Deadline, "the two accepted charges");
        var requests = app.Platform.Requests.Where(r => r.Event.StreamId == stream).ToList();
        Assert.Equal([1_000, 4_040, 2_000], requests.Select(r => Amount(r.Event)));
        Assert.Equal([200, 400, 200], requests.Select(r => r.Status));
        var rejected = requests[1].Event.EventId;

        var admin = await app.AdminAsync();
        var deadLetters = await admin.GetFromJsonAsync<PagedList<OutboxMessage>>("/api/admin/outbox/dead-letters");
        var letter = Assert.Single(deadLetters!.Items, m => m.Id == rejected);
        Assert.Equal((stream, "PointsCharged", 1), (letter.StreamId, letter.Type, letter.Attempts));
        Assert.Equal("HTTP 400 Bad Request: fake platform says 400", letter.LastError);
        Assert.NotNull(letter.DeadLetteredAt);

        app.Platform.Answer = null;
        var requeue = await admin.PostAsync($"/api/admin/outbox/dead-letters/{rejected}/requeue", null);

        Assert.Equal(HttpStatusCode.OK, requeue.StatusCode);
        var requeued = (await requeue.Content.ReadFromJsonAsync<OutboxMessage>())!;
        Assert.Equal((rejected, 0, null), (requeued.Id, requeued.Attempts, requeued.DeadLetteredAt));
        await app.Platform.WaitUntilAsync(r => r.Any(x => x.Event.EventId == rejected && x.Acknowledged), Deadline, "the requeued event");
        // The platform answers before the relay commits what it answered.
        await Eventually.TrueAsync(() => app.Sql.ScalarAsync<bool>("SELECT delivered_at IS NOT NULL FROM platform.outbox WHERE id = @rejected", new { rejected }),
            Deadline, "the requeued event recorded as delivered");
        Assert.DoesNotContain((await admin.GetFromJsonAsync<PagedList<OutboxMessage>>("/api/admin/outbox/dead-letters"))!.Items, m => m.Id == rejected);

        var again = await admin.PostAsync($"/api/admin/outbox/dead-letters/{rejected}/requeue", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var problem = await again.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("OUTBOX_MESSAGE_NOT_DEAD_LETTERED", "DELIVERED"), (problem.GetProperty("code").GetString(), problem.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task The_pending_list_shows_oldest_first_how_often_each_event_failed_and_why()
    {
        var member = await app.NewMemberAsync();
        var stream = $"member-{member.Id}";
        app.Platform.Answer = e => e.StreamId == stream ? 503 : null;
        var client = app.ClientFor(member);
        (await client.PostAsJsonAsync("/api/me/points/charge", new { amount = 1_000 })).EnsureSuccessStatusCode();
        (await client.PostAsJsonAsync("/api/me/points/charge", new { amount = 2_000 })).EnsureSuccessStatusCode();
        var admin = await app.AdminAsync();

        // The test clock stands still, so the failed head's retry never falls due: the list stays as it is.
        List<OutboxMessage> pending = [];
        for (var i = 0; i < 200 && pending.FirstOrDefault()?.Attempts != 1; i++)
        {
            await Task.Delay(25);
            pending = (await admin.GetFromJsonAsync<PagedList<OutboxMessage>>("/api/admin/outbox/pending?pageSize=100"))!
                .Items.Where(m => m.StreamId == stream).ToList();
        }

        Assert.Collection(pending,
            head =>
            {
                Assert.Equal((1, "HTTP 503 Service Unavailable: fake platform says 503"), (head.Attempts, head.LastError));
                Assert.NotNull(head.NextAttemptAt);
            },
            next => Assert.Equal((0, null, null), (next.Attempts, next.LastError, next.NextAttemptAt)));
        Assert.True(pending[0].Sequence < pending[1].Sequence);
        Assert.Single(app.Platform.Requests, r => r.Event.StreamId == stream);
        var page = (await admin.GetFromJsonAsync<PagedList<OutboxMessage>>("/api/admin/outbox/pending?page=1&pageSize=1"))!;
        Assert.Equal((1, 1), (page.Items.Count, page.PageSize));
        Assert.True(page.TotalCount >= 2);
    }

    [Fact]
    public async Task Dead_letters_are_requeued_in_bulk_by_type_by_time_range_or_all_and_are_delivered_again_with_their_ids()
    {
        // Three dead letters of one type (dead-lettered 3, 2 and 1 hours ago) and one of another, each its own stream.
        var type = $"Bulk{Guid.NewGuid():N}";
        var now = app.Clock.GetUtcNow();
        var letters = new List<Guid>();
        foreach (var (letterType, hoursAgo) in new[] { (type, 3), (type, 2), (type, 1), (type + "Other", 1) })
        {
            var id = Guid.CreateVersion7();
            letters.Add(id);
            await app.Sql.ExecuteAsync("""
                INSERT INTO platform.outbox (id, stream_id, type, version, occurred_at, payload, attempts, last_error, dead_lettered_at)
                VALUES (@id, @stream, @letterType, 1, @at, '{}', 1, 'HTTP 400 Bad Request', @at)
                """, new { id, stream = $"bulk-{id}", letterType, at = now.AddHours(-hoursAgo) });
        }

        var admin = await app.AdminAsync();
        async Task<int> RequeueAsync(object body)
        {
            var response = await admin.PostAsJsonAsync("/api/admin/outbox/dead-letters/requeue", body);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("requeued").GetInt32();
        }

        var inRange = await RequeueAsync(new { type, deadLetteredFrom = now.AddHours(-2.5), deadLetteredTo = now.AddHours(-1.5) });
        var rest = await RequeueAsync(new { type });
        var again = await RequeueAsync(new { type });
        var all = await RequeueAsync(new { });
        var backwards = await admin.PostAsJsonAsync("/api/admin/outbox/dead-letters/requeue", new { deadLetteredFrom = now, deadLetteredTo = now.AddHours(-1) });

        Assert.Equal((1, 2, 0), (inRange, rest, again));
        Assert.True(all >= 1, $"{all} requeued by 'all'");
        Assert.Equal(HttpStatusCode.BadRequest, backwards.StatusCode);
        await app.Platform.WaitUntilAsync(r => letters.All(id => r.Any(x => x.Event.EventId == id && x.Acknowledged)), Deadline, "the four requeued events");
    }

    [Fact]
    public async Task Requeueing_an_unknown_event_is_404()
    {
        var admin = await app.AdminAsync();

        var response = await admin.PostAsync("/api/admin/outbox/dead-letters/0195f2d4-0000-7000-8000-000000000404/requeue", null);

        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Paging_out_of_range_is_a_validation_error()
    {
        var admin = await app.AdminAsync();

        var response = await admin.GetAsync("/api/admin/outbox/dead-letters?page=0&pageSize=101");

        await Snapshot.MatchAsync(response);
    }

    [Theory]
    [InlineData("GET", "/api/admin/outbox/pending")]
    [InlineData("GET", "/api/admin/outbox/dead-letters")]
    [InlineData("POST", "/api/admin/outbox/dead-letters/0195f2d4-0000-7000-8000-000000000404/requeue")]
    [InlineData("POST", "/api/admin/outbox/dead-letters/requeue")]
    public async Task Outbox_admin_endpoints_refuse_members_and_anonymous_callers(string method, string path)
    {
        var member = app.ClientFor(await app.NewMemberAsync());

        var asMember = await member.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        var anonymous = await app.Anonymous().SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Unauthorized), (asMember.StatusCode, anonymous.StatusCode));
    }

    private static long Amount(PlatformEvent e) => e.Payload.GetProperty("amount").GetInt64();
}

using System.Net;
using Commerce.Testing;

namespace Commerce.Host.Tests;

public sealed class IdempotencyTests(CommerceApp app) : IClassFixture<CommerceApp>
{
    private Task<long> LedgerRows(long memberId) =>
        app.Sql.ScalarAsync<long>("SELECT count(*) FROM points.ledger WHERE member_id = @memberId", new { memberId });

    [Fact]
    public async Task A_retry_with_the_same_key_and_body_replays_the_first_answer_without_charging_again()
    {
        var member = await app.NewMemberAsync();
        var client = app.ClientFor(member);

        var first = await client.PostJsonAsync("/api/me/points/charge", new { amount = 700 }, idempotencyKey: "charge-1");
        var retry = await client.PostJsonAsync("/api/me/points/charge", new { amount = 700 }, idempotencyKey: "charge-1");

        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.Equal(1, await LedgerRows(member.Id));
    }

    [Fact]
    public async Task The_same_key_with_a_different_body_is_422()
    {
        var member = await app.NewMemberAsync();
        var client = app.ClientFor(member);
        await client.PostJsonAsync("/api/me/points/charge", new { amount = 700 }, idempotencyKey: "charge-2");

        var response = await client.PostJsonAsync("/api/me/points/charge", new { amount = 800 }, idempotencyKey: "charge-2");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        await Snapshot.MatchAsync(response);
        Assert.Equal(1, await LedgerRows(member.Id));
    }

    [Fact]
    public async Task Keys_are_scoped_per_member()
    {
        var alice = await app.NewMemberAsync();
        var bob = await app.NewMemberAsync();

        var a = await app.ClientFor(alice).PostJsonAsync("/api/me/points/charge", new { amount = 100 }, idempotencyKey: "shared-key");
        var b = await app.ClientFor(bob).PostJsonAsync("/api/me/points/charge", new { amount = 200 }, idempotencyKey: "shared-key");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (a.StatusCode, b.StatusCode));
        Assert.Equal((1L, 1L), (await LedgerRows(alice.Id), await LedgerRows(bob.Id)));
    }

    [Fact]
    public async Task A_failed_command_keeps_no_key_so_the_retry_runs_again()
    {
        var member = await app.NewMemberAsync();
        var client = app.ClientFor(member);
        for (var i = 0; i < 10; i++)
        {
            await client.PostJsonAsync("/api/me/points/charge", new { amount = 1_000_000 });
        }

        var refused = await client.PostJsonAsync("/api/me/points/charge", new { amount = 5 }, idempotencyKey: "after-limit");

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal(0, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM platform.idempotency_keys WHERE member_id = @Id", new { member.Id }));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("too-long")]
    public async Task An_invalid_key_is_400(string key)
    {
        key = key == "too-long" ? new string('k', 101) : key;
        var client = app.ClientFor(await app.NewMemberAsync());
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/me/points/charge") { Content = JsonContent.Create(new { amount = 1 }) };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Fifty_concurrent_requests_with_one_key_apply_once_and_answer_identically()
    {
        var member = await app.NewMemberAsync();
        var client = app.ClientFor(member);

        var responses = await Concurrently.RunAsync(50, async _ =>
        {
            var response = await client.PostJsonAsync("/api/me/points/charge", new { amount = 1_234 }, idempotencyKey: "burst");
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        });

        Assert.All(responses, r => Assert.Equal(200, r.Item1));
        Assert.Single(responses.Select(r => r.Item2).Distinct());
        Assert.Equal(1, await LedgerRows(member.Id));
        Assert.Equal(1_234, await app.Sql.ScalarAsync<long>("SELECT balance FROM points.wallets WHERE member_id = @Id", new { member.Id }));
    }

    [Fact]
    public async Task Keys_older_than_the_retention_are_cleaned_up()
    {
        var member = await app.NewMemberAsync();
        await app.ClientFor(member).PostJsonAsync("/api/me/points/charge", new { amount = 1 }, idempotencyKey: "old");
        await app.Sql.ExecuteAsync("UPDATE platform.idempotency_keys SET created_at = now() - interval '25 hours' WHERE member_id = @Id", new { member.Id });

        await Eventually.TrueAsync(async () =>
            await app.Sql.ScalarAsync<long>("SELECT count(*) FROM platform.idempotency_keys WHERE member_id = @Id", new { member.Id }) == 0,
            TimeSpan.FromSeconds(10));
    }
}

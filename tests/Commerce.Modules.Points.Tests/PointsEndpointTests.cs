using System.Net;
using Commerce.Testing;

namespace Commerce.Modules.Points.Tests;

public sealed class PointsEndpointTests(CommerceApp app) : IClassFixture<CommerceApp>
{
    [Fact]
    public async Task Charge_returns_the_new_balance()
    {
        var client = app.ClientFor(await app.NewMemberAsync());

        var response = await client.PostJsonAsync("/api/me/points/charge", new { amount = 10_000 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Charge_past_the_balance_limit_is_409_BALANCE_LIMIT_EXCEEDED()
    {
        var member = await app.NewMemberAsync();
        var client = app.ClientFor(member);
        for (var i = 0; i < 10; i++)
        {
            await client.PostJsonAsync("/api/me/points/charge", new { amount = 1_000_000 });
        }

        var response = await client.PostJsonAsync("/api/me/points/charge", new { amount = 1 });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(1_000_001)]
    public async Task Charge_outside_the_limits_is_400(long amount)
    {
        var response = await app.ClientFor(await app.NewMemberAsync()).PostJsonAsync("/api/me/points/charge", new { amount });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("VALIDATION_FAILED", (await response.JsonAsync())["code"]!.GetValue<string>());
        if (amount == 0)
        {
            await Snapshot.MatchAsync(response, test: "Charge_of_zero_is_400");
        }
    }

    [Fact]
    public async Task Balance_of_a_member_who_never_charged_is_zero()
    {
        var response = await app.ClientFor(await app.NewMemberAsync()).GetAsync("/api/me/points");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Balance_and_history_after_charges()
    {
        var client = app.ClientFor(await app.NewMemberAsync());
        foreach (var amount in new[] { 1_000, 2_000, 3_000 })
        {
            await client.PostJsonAsync("/api/me/points/charge", new { amount });
        }

        var balance = await client.GetAsync("/api/me/points");
        var firstPage = await client.GetAsync("/api/me/points/history?page=1&pageSize=2");
        var secondPage = await client.GetAsync("/api/me/points/history?page=2&pageSize=2");

        Assert.Equal(6_000, (await balance.JsonAsync())["balance"]!.GetValue<long>());
        await Snapshot.MatchAsync(balance, test: "Balance_after_charges");
        await Snapshot.MatchAsync(firstPage, test: "History_first_page_is_newest_first");
        await Snapshot.MatchAsync(secondPage, test: "History_second_page");
    }

    [Fact]
    public async Task History_with_bad_paging_is_400()
    {
        var client = app.ClientFor(await app.NewMemberAsync());

        var outOfRange = await client.GetAsync("/api/me/points/history?page=0&pageSize=1000");
        var notANumber = await client.GetAsync("/api/me/points/history?page=abc");

        Assert.Equal(HttpStatusCode.BadRequest, outOfRange.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, notANumber.StatusCode);
        await Snapshot.MatchAsync(outOfRange, test: "History_with_out_of_range_paging_is_400");
        await Snapshot.MatchAsync(notANumber, test: "History_with_a_non_numeric_page_is_400");
    }

    [Fact]
    public async Task Points_endpoints_need_a_token()
    {
        var anonymous = app.Anonymous();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/me/points")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/me/points/history")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostJsonAsync("/api/me/points/charge", new { amount = 1 })).StatusCode);
    }

    [Fact]
    public async Task A_disabled_member_cannot_charge()
    {
        var member = await app.NewMemberAsync(status: "DISABLED");

        var response = await app.ClientFor(member).PostJsonAsync("/api/me/points/charge", new { amount = 1 });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("NOT_A_MEMBER", (await response.JsonAsync())["code"]!.GetValue<string>());
        Assert.Equal(0, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM points.ledger WHERE member_id = @Id", new { member.Id }));
    }
}

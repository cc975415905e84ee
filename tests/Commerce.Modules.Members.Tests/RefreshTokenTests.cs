using System.Net;
using System.Net.Http.Headers;
using Commerce.Testing;

namespace Commerce.Modules.Members.Tests;

/// <summary>POST /api/auth/refresh: rotation (each refresh token works once), reuse revokes the login session, expiry,
/// tampering, and a disabled member — over real HTTP with tokens the host itself issued at login.</summary>
public sealed class RefreshTokenTests(CommerceApp app) : IClassFixture<CommerceApp>
{
    private sealed record Tokens(string Access, string Refresh);

    private async Task<Tokens> LogInAsync(TestMember member)
    {
        var response = await app.Anonymous().PostJsonAsync("/api/auth/token", new { email = member.Email, password = member.Password });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await TokensOf(response);
    }

    private static async Task<Tokens> TokensOf(HttpResponseMessage response)
    {
        var body = await response.JsonAsync();
        return new Tokens(body["accessToken"]!.GetValue<string>(), body["refreshToken"]!.GetValue<string>());
    }

    private Task<HttpResponseMessage> RefreshAsync(string refreshToken) =>
        app.Anonymous().PostJsonAsync("/api/auth/refresh", new { refreshToken });

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, (await response.JsonAsync())["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_refresh_token_buys_a_new_pair_whose_access_token_opens_the_member_endpoints()
    {
        var member = await app.NewMemberAsync();
        var login = await LogInAsync(member);

        var response = await RefreshAsync(login.Refresh);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.JsonAsync();
        Assert.Equal("Bearer", body["tokenType"]!.GetValue<string>());
        Assert.True(body["expiresIn"]!.GetValue<long>() > 0);
        var refreshed = await TokensOf(response);
        Assert.NotEqual(login.Refresh, refreshed.Refresh);
        using var client = app.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", refreshed.Access);
        var me = await client.GetAsync("/api/me");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal(member.Email, (await me.JsonAsync())["email"]!.GetValue<string>());

        // And the chain goes on: the new refresh token is the one that works now.
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync(refreshed.Refresh)).StatusCode);
    }

    [Fact]
    public async Task A_used_refresh_token_is_refused_and_revokes_every_token_of_its_login()
    {
        var member = await app.NewMemberAsync();
        var login = await LogInAsync(member);
        var stolenCopyUsed = await TokensOf(await RefreshAsync(login.Refresh));

        await AssertProblemAsync(await RefreshAsync(login.Refresh), HttpStatusCode.Unauthorized, "INVALID_REFRESH_TOKEN");
        // Whoever refreshed first cannot go on either: the session is revoked.
        await AssertProblemAsync(await RefreshAsync(stolenCopyUsed.Refresh), HttpStatusCode.Unauthorized, "INVALID_REFRESH_TOKEN");
        Assert.NotNull(await app.Sql.ScalarAsync<DateTimeOffset?>(
            "SELECT revoked_at FROM members.refresh_sessions WHERE member_id = @Id", new { member.Id }));

        // Another login of the same member is a session of its own and unaffected.
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync((await LogInAsync(member)).Refresh)).StatusCode);
    }

    [Fact]
    public async Task One_refresh_token_sent_ten_times_at_once_is_exchanged_exactly_once()
    {
        var login = await LogInAsync(await app.NewMemberAsync());

        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => RefreshAsync(login.Refresh)));

        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.OK));
        Assert.Equal(9, answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task An_expired_refresh_token_is_refused()
    {
        var login = await LogInAsync(await app.NewMemberAsync());

        app.Clock.Advance(TimeSpan.FromDays(14) + TimeSpan.FromSeconds(1));
        try
        {
            await AssertProblemAsync(await RefreshAsync(login.Refresh), HttpStatusCode.Unauthorized, "INVALID_REFRESH_TOKEN");
        }
        finally
        {
            app.Clock.Advance(-(TimeSpan.FromDays(14) + TimeSpan.FromSeconds(1)));
        }
    }

    [Fact]
    public async Task A_tampered_forged_or_access_token_is_not_a_refresh_token()
    {
        var login = await LogInAsync(await app.NewMemberAsync());
        var middle = login.Refresh.Length / 2;
        var tampered = login.Refresh[..middle] + (login.Refresh[middle] == 'A' ? 'B' : 'A') + login.Refresh[(middle + 1)..];

        foreach (var token in new[] { tampered, login.Refresh[..^4], "not-a-token", "", login.Access })
        {
            await AssertProblemAsync(await RefreshAsync(token), HttpStatusCode.Unauthorized, "INVALID_REFRESH_TOKEN");
        }

        // None of that cost the real token its turn.
        Assert.Equal(HttpStatusCode.OK, (await RefreshAsync(login.Refresh)).StatusCode);
    }

    [Fact]
    public async Task A_disabled_member_cannot_refresh()
    {
        var member = await app.NewMemberAsync();
        var login = await LogInAsync(member);
        await app.Sql.ExecuteAsync("UPDATE members.members SET status = 'DISABLED' WHERE id = @Id", new { member.Id });

        await AssertProblemAsync(await RefreshAsync(login.Refresh), HttpStatusCode.Forbidden, "NOT_A_MEMBER");
    }

    [Fact]
    public async Task A_refresh_without_a_token_is_400_naming_the_field()
    {
        var response = await app.Anonymous().PostRawAsync("/api/auth/refresh", "{}");

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "MALFORMED_REQUEST");
        Assert.NotNull((await response.JsonAsync())["errors"]!["refreshToken"]);
    }
}

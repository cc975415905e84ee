using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Commerce.Testing;

namespace Commerce.Modules.Members.Tests;

public sealed class MembersEndpointTests(CommerceApp app) : IClassFixture<CommerceApp>
{
    [Fact]
    public async Task Sign_up_returns_201_with_the_member()
    {
        var response = await app.Anonymous().PostJsonAsync("/api/members", new { name = "Jane Doe", email = "jane@test.local", password = "Secret-pass-1" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Sign_up_with_a_taken_email_is_409_EMAIL_TAKEN()
    {
        await app.Anonymous().PostJsonAsync("/api/members", new { name = "First", email = "taken@test.local", password = "Secret-pass-1" });

        var response = await app.Anonymous().PostJsonAsync("/api/members", new { name = "Second", email = "TAKEN@test.local", password = "Secret-pass-1" });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Sign_up_with_every_field_invalid_reports_every_field()
    {
        var response = await app.Anonymous().PostJsonAsync("/api/members", new { name = "", email = "nope", password = "short" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Log_in_returns_a_bearer_token_that_opens_the_member_endpoints()
    {
        await app.Anonymous().PostJsonAsync("/api/members", new { name = "Login", email = "login@test.local", password = "Secret-pass-1" });

        var response = await app.Anonymous().PostJsonAsync("/api/auth/token", new { email = "login@test.local", password = "Secret-pass-1" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Snapshot.MatchAsync(response);
        var token = (await response.JsonAsync())["accessToken"]!.GetValue<string>();
        using var client = app.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var me = await (await client.GetAsync("/api/me")).JsonAsync();
        Assert.Equal("login@test.local", me["email"]!.GetValue<string>());
    }

    [Fact]
    public async Task Log_in_with_a_wrong_password_is_401_INVALID_CREDENTIALS()
    {
        var member = await app.NewMemberAsync();

        var response = await app.Anonymous().PostJsonAsync("/api/auth/token", new { email = member.Email, password = "Wrong-pass-1" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Log_in_of_a_disabled_member_is_403_NOT_A_MEMBER()
    {
        var member = await app.NewMemberAsync(status: "DISABLED");

        var response = await app.Anonymous().PostJsonAsync("/api/auth/token", new { email = member.Email, password = member.Password });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Me_returns_the_signed_in_member()
    {
        var member = await app.NewMemberAsync();

        var response = await app.ClientFor(member).GetAsync("/api/me");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Me_without_a_token_is_401_UNAUTHENTICATED()
    {
        var response = await app.Anonymous().GetAsync("/api/me");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task A_forged_or_expired_token_is_401()
    {
        var member = await app.NewMemberAsync();
        using var forged = app.Anonymous();
        forged.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "CfDJ8forged-token-value");
        using var expired = app.Anonymous();
        expired.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", app.TokenFor(member.Id, lifetime: TimeSpan.FromSeconds(-5)));

        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await expired.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task A_valid_token_of_a_disabled_member_is_403_NOT_A_MEMBER()
    {
        var member = await app.NewMemberAsync();
        var client = app.ClientFor(member);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/me")).StatusCode);
        var admin = await app.AdminAsync();

        var disabled = await admin.PutAsJsonAsync($"/api/admin/members/{member.Id}/status", new { status = "DISABLED" });
        var response = await client.GetAsync("/api/me");

        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Changing_a_member_status_is_for_admins_only()
    {
        var member = await app.NewMemberAsync();
        var other = await app.NewMemberAsync();

        var response = await app.ClientFor(member).PutAsJsonAsync($"/api/admin/members/{other.Id}/status", new { status = "DISABLED" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Admin_disables_a_member()
    {
        var member = await app.NewMemberAsync();

        var response = await (await app.AdminAsync()).PutAsJsonAsync($"/api/admin/members/{member.Id}/status", new { status = "DISABLED" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Admin_changing_an_unknown_member_is_404_and_a_bad_status_is_400()
    {
        var admin = await app.AdminAsync();

        var unknown = await admin.PutAsJsonAsync("/api/admin/members/999999/status", new { status = "DISABLED" });
        var badStatus = await admin.PutAsJsonAsync("/api/admin/members/1/status", new { status = "GONE" });

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badStatus.StatusCode);
        await Snapshot.MatchAsync(unknown, test: "Admin_changing_an_unknown_member_is_404");
        await Snapshot.MatchAsync(badStatus, test: "Admin_setting_an_unknown_status_is_400");
    }
}

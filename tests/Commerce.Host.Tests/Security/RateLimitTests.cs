using System.Net;
using System.Net.Sockets;
using Commerce.Testing;

namespace Commerce.Host.Tests.Security;

/// <summary>The host with strict limits, reached from several loopback addresses (127.0.0.x) so per-address limits show.</summary>
public sealed class StrictLimitsApp : CommerceApp
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Commerce:RateLimits:Login:PermitLimit"] = "6",
        ["Commerce:RateLimits:Login:Window"] = "00:10:00",
        ["Commerce:RateLimits:LoginPerEmail:PermitLimit"] = "8",
        ["Commerce:RateLimits:LoginPerEmail:Window"] = "00:10:00",
        ["Commerce:RateLimits:SignUp:PermitLimit"] = "2",
        ["Commerce:RateLimits:SignUp:Window"] = "00:10:00",
        ["Commerce:RateLimits:IssueCoupon:PermitLimit"] = "3",
        ["Commerce:RateLimits:IssueCoupon:Window"] = "00:10:00",
        ["Commerce:RateLimits:ChargePoints:PermitLimit"] = "3",
        ["Commerce:RateLimits:ChargePoints:Window"] = "00:10:00",
    };
}

/// <summary>
/// Rate limits (the framework's limiter, <c>Commerce:RateLimits</c>): per member on point charges and coupon claims,
/// per client address on sign-up and login, and per email on login; a refusal is 429 RATE_LIMITED with Retry-After.
/// Failed logins lock an email for the failing address: 429 LOGIN_LOCKED.
/// </summary>
public sealed class RateLimitTests(StrictLimitsApp app) : IClassFixture<StrictLimitsApp>
{
    private static async Task<int> RetryAfterOfRateLimitedAsync(HttpResponseMessage response, string code = "RATE_LIMITED")
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.JsonAsync();
        Assert.Equal(code, problem["code"]!.GetValue<string>());
        Assert.Equal(429, problem["status"]!.GetValue<int>());
        var retryAfter = int.Parse(Assert.Single(response.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 601); // at most the 600-s window and the limiter's replenishment tick, rounded up
        return retryAfter;
    }

    private static async Task<HttpStatusCode[]> SendAsync(int times, Func<int, Task<HttpResponseMessage>> send)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < times; i++)
        {
            statuses.Add((await send(i)).StatusCode);
        }

        return [.. statuses];
    }

    [Fact]
    public async Task Point_charges_are_limited_per_member()
    {
        var member = await app.NewMemberAsync();
        var client = app.ClientFor(member);

        Assert.All(await SendAsync(3, _ => client.PostJsonAsync("/api/me/points/charge", new { amount = 1_000 })), s => Assert.Equal(HttpStatusCode.OK, s));
        await RetryAfterOfRateLimitedAsync(await client.PostJsonAsync("/api/me/points/charge", new { amount = 1_000 }));

        Assert.Equal(3_000, await app.Sql.ScalarAsync<long>("SELECT balance FROM points.wallets WHERE member_id = @Id", new { member.Id }));
        var someoneElse = app.ClientFor(await app.NewMemberAsync());
        Assert.Equal(HttpStatusCode.OK, (await someoneElse.PostJsonAsync("/api/me/points/charge", new { amount = 1_000 })).StatusCode);
    }

    [Fact]
    public async Task Coupon_claims_are_limited_per_member()
    {
        var campaigns = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            campaigns.Add((await app.Services.NewCampaignAsync(app.Clock.GetUtcNow())).Id);
        }

        var client = app.ClientFor(await app.NewMemberAsync());

        Assert.All(await SendAsync(3, i => client.PostAsync($"/api/coupons/{campaigns[i]}/issue", null)), s => Assert.Equal(HttpStatusCode.Created, s));
        await RetryAfterOfRateLimitedAsync(await client.PostAsync($"/api/coupons/{campaigns[3]}/issue", null));

        var someoneElse = app.ClientFor(await app.NewMemberAsync());
        Assert.Equal(HttpStatusCode.Created, (await someoneElse.PostAsync($"/api/coupons/{campaigns[3]}/issue", null)).StatusCode);
    }

    [Fact]
    public async Task Anonymous_callers_cannot_spend_a_members_permits()
    {
        var member = await app.NewMemberAsync();

        Assert.All(await SendAsync(5, _ => app.Anonymous().PostJsonAsync("/api/me/points/charge", new { amount = 1_000 })),
            s => Assert.Equal(HttpStatusCode.Unauthorized, s));

        Assert.Equal(HttpStatusCode.OK, (await app.ClientFor(member).PostJsonAsync("/api/me/points/charge", new { amount = 1_000 })).StatusCode);
    }

    [Fact]
    public async Task Sign_ups_are_limited_per_client_address()
    {
        using var first = app.ClientFrom("127.0.0.2");
        using var second = app.ClientFrom("127.0.0.3");
        object SignUp(string name) => new { name, email = $"{name}@test.local", password = "Secret-pass-1" };

        Assert.All(await SendAsync(2, i => first.PostJsonAsync("/api/members", SignUp($"limited-{i}"))), s => Assert.Equal(HttpStatusCode.Created, s));
        await RetryAfterOfRateLimitedAsync(await first.PostJsonAsync("/api/members", SignUp("limited-2")));

        Assert.Equal(HttpStatusCode.Created, (await second.PostJsonAsync("/api/members", SignUp("other-address"))).StatusCode);
        Assert.Equal(0, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM members.members WHERE email = 'limited-2@test.local'"));
    }

    [Fact]
    public async Task Logins_are_limited_per_client_address()
    {
        using var first = app.ClientFrom("127.0.0.4");
        using var second = app.ClientFrom("127.0.0.5");
        var members = await TestMembers.InsertAsync(app.Sql, 7);

        Assert.All(await SendAsync(6, i => first.PostJsonAsync("/api/auth/token", new { email = members[i].Email, password = members[i].Password })),
            s => Assert.Equal(HttpStatusCode.OK, s));
        await RetryAfterOfRateLimitedAsync(await first.PostJsonAsync("/api/auth/token", new { email = members[6].Email, password = members[6].Password }));

        Assert.Equal(HttpStatusCode.OK, (await second.PostJsonAsync("/api/auth/token", new { email = members[6].Email, password = members[6].Password })).StatusCode);
    }

    [Fact]
    public async Task Logins_to_one_email_are_limited_across_addresses()
    {
        var member = await app.NewMemberAsync();
        var credentials = new { email = member.Email, password = member.Password };
        var addresses = new[] { "127.0.0.6", "127.0.0.7", "127.0.0.8", "127.0.0.9" };

        var statuses = new List<HttpStatusCode>();
        foreach (var address in addresses[..3])
        {
            using var client = app.ClientFrom(address);
            statuses.AddRange(await SendAsync(3, _ => client.PostJsonAsync("/api/auth/token", credentials)));
        }

        Assert.Equal(8, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        using var fourth = app.ClientFrom(addresses[3]);
        await RetryAfterOfRateLimitedAsync(await fourth.PostJsonAsync("/api/auth/token", credentials));
    }

    [Fact]
    public async Task Five_wrong_passwords_lock_the_email_for_that_address_only_with_429_LOGIN_LOCKED()
    {
        var member = await app.NewMemberAsync();
        using var attacker = app.ClientFrom("127.0.0.10");
        using var owner = app.ClientFrom("127.0.0.11");

        Assert.All(await SendAsync(5, _ => attacker.PostJsonAsync("/api/auth/token", new { email = member.Email, password = "Wrong-pass-1" })),
            s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        var locked = await attacker.PostJsonAsync("/api/auth/token", new { email = member.Email, password = member.Password });

        Assert.Equal(300, await RetryAfterOfRateLimitedAsync(locked, "LOGIN_LOCKED"));
        Assert.Equal(HttpStatusCode.OK, (await owner.PostJsonAsync("/api/auth/token", new { email = member.Email, password = member.Password })).StatusCode);
    }
}

/// <summary>A short window: the limit lifts when Retry-After says.</summary>
public sealed class RateLimitWindowTests(RateLimitWindowTests.ShortWindowApp app) : IClassFixture<RateLimitWindowTests.ShortWindowApp>
{
    public sealed class ShortWindowApp : CommerceApp
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Commerce:RateLimits:ChargePoints:PermitLimit"] = "2",
            ["Commerce:RateLimits:ChargePoints:Window"] = "00:00:02",
        };
    }

    [Fact]
    public async Task A_refused_member_may_charge_again_after_Retry_After()
    {
        var client = app.ClientFor(await app.NewMemberAsync());
        HttpResponseMessage response;
        var attempts = 0;
        do
        {
            response = await client.PostJsonAsync("/api/me/points/charge", new { amount = 1_000 });
        }
        while (response.StatusCode == HttpStatusCode.OK && ++attempts < 20);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        var retryAfter = int.Parse(Assert.Single(response.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 3); // the 2-s window and the limiter's 100-ms replenishment tick, rounded up

        await Task.Delay(TimeSpan.FromSeconds(retryAfter));
        Assert.Equal(HttpStatusCode.OK, (await client.PostJsonAsync("/api/me/points/charge", new { amount = 1_000 })).StatusCode);
    }
}

/// <summary><c>Commerce__RateLimits__Enabled=false</c> (as the benchmark runs) turns every limit off.</summary>
public sealed class RateLimitsOffTests(RateLimitsOffTests.LimitsOffApp app) : IClassFixture<RateLimitsOffTests.LimitsOffApp>
{
    public sealed class LimitsOffApp : CommerceApp
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Commerce:RateLimits:Enabled"] = "false",
            ["Commerce:RateLimits:ChargePoints:PermitLimit"] = "1",
            ["Commerce:RateLimits:LoginPerEmail:PermitLimit"] = "1",
        };
    }

    [Fact]
    public async Task Nothing_is_refused_however_strict_the_limits()
    {
        var member = await app.NewMemberAsync();
        var client = app.ClientFor(member);

        var charges = await Concurrently.RunAsync(20, _ => client.PostJsonAsync("/api/me/points/charge", new { amount = 1_000 }));
        var logins = await Concurrently.RunAsync(3, _ => app.Anonymous().PostJsonAsync("/api/auth/token", new { email = member.Email, password = member.Password }));

        Assert.All(charges, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.All(logins, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
    }
}

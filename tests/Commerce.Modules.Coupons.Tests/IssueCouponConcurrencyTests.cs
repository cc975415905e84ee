using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Modules.Coupons.Contracts;
using Commerce.Testing;
using Xunit.Abstractions;

namespace Commerce.Modules.Coupons.Tests;

/// <summary>Alone, so the races and their timings are not disturbed by other test classes.</summary>
[CollectionDefinition(nameof(IssueCouponConcurrencyTests), DisableParallelization = true)]
public sealed class IssueCouponConcurrencyGroup;

/// <summary>First come, first served through real HTTP: requests released together against the real host and database.</summary>
[Collection(nameof(IssueCouponConcurrencyTests))]
public sealed class IssueCouponConcurrencyTests(CommerceApp app, ITestOutputHelper output) : IClassFixture<CommerceApp>
{
    [Fact]
    public async Task Thousand_members_claiming_a_hundred_coupons_at_once_get_exactly_a_hundred()
    {
        var campaign = await app.Services.SendAsync(TestCampaigns.Fixed(app.Clock.GetUtcNow(), quantity: 100));
        var members = await TestMembers.InsertAsync(app.Sql, 1_000);
        using var client = app.Anonymous();

        var started = Stopwatch.GetTimestamp();
        var results = await Concurrently.RunAsync(members.Count, i => ClaimAsync(client, members[i].Id, campaign.Id));
        var elapsed = Stopwatch.GetElapsedTime(started);

        Assert.DoesNotContain(results, r => (int)r.Status >= 500);
        Assert.Equal(100, results.Count(r => r.Status == HttpStatusCode.Created));
        Assert.Equal(900, results.Count(r => r.Status == HttpStatusCode.Conflict && r.Code == CouponErrors.CouponSoldOut));
        var rows = await app.Sql.SingleAsync<(long Rows, long Members, int Counted)>("""
            SELECT count(*), count(DISTINCT i.member_id), max(c.issued_count)
            FROM coupons.issued_coupons i JOIN coupons.campaigns c ON c.id = i.campaign_id WHERE i.campaign_id = @Id
            """, new { campaign.Id });
        Assert.Equal((100L, 100L, 100), rows);
        Report("1,000 members / 100 coupons", results.Length, elapsed);
    }

    [Fact]
    public async Task One_member_claiming_fifty_times_at_once_gets_exactly_one_coupon()
    {
        var campaign = await app.Services.SendAsync(TestCampaigns.Fixed(app.Clock.GetUtcNow(), quantity: 100));
        var member = await app.NewMemberAsync();
        using var client = app.Anonymous();

        var started = Stopwatch.GetTimestamp();
        var results = await Concurrently.RunAsync(50, _ => ClaimAsync(client, member.Id, campaign.Id));
        var elapsed = Stopwatch.GetElapsedTime(started);

        Assert.Equal(1, results.Count(r => r.Status == HttpStatusCode.Created));
        Assert.Equal(49, results.Count(r => r.Status == HttpStatusCode.Conflict && r.Code == CouponErrors.CouponAlreadyIssued));
        Assert.Equal(1, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM coupons.issued_coupons WHERE campaign_id = @Id", new { campaign.Id }));
        Assert.Equal(1, await app.Sql.ScalarAsync<int>("SELECT issued_count FROM coupons.campaigns WHERE id = @Id", new { campaign.Id }));
        Report("1 member x 50 claims", results.Length, elapsed);
    }

    [Fact]
    public async Task Raising_the_quantity_of_a_sold_out_campaign_makes_claims_work_again_at_once()
    {
        var campaign = await app.Services.SendAsync(TestCampaigns.Fixed(app.Clock.GetUtcNow(), quantity: 50));
        var members = await TestMembers.InsertAsync(app.Sql, 200);
        using var client = app.Anonymous();
        var first = await Concurrently.RunAsync(100, i => ClaimAsync(client, members[i].Id, campaign.Id));
        Assert.Equal(50, first.Count(r => r.Status == HttpStatusCode.Created));
        Assert.Equal(50, first.Count(r => r.Code == CouponErrors.CouponSoldOut));

        var raised = await (await app.AdminAsync()).PutAsJsonAsync($"/api/admin/coupons/{campaign.Id}/quantity", new { totalQuantity = 80 });
        var second = await Concurrently.RunAsync(100, i => ClaimAsync(client, members[100 + i].Id, campaign.Id));

        Assert.Equal(HttpStatusCode.OK, raised.StatusCode);
        Assert.Equal(30, second.Count(r => r.Status == HttpStatusCode.Created));
        Assert.Equal(70, second.Count(r => r.Code == CouponErrors.CouponSoldOut));
        Assert.Equal(80, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM coupons.issued_coupons WHERE campaign_id = @Id", new { campaign.Id }));
    }

    private async Task<(HttpStatusCode Status, string? Code)> ClaimAsync(HttpClient client, long memberId, long campaignId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/coupons/{campaignId}/issue");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", app.TokenFor(memberId));
        using var response = await client.SendAsync(request);
        if (response.IsSuccessStatusCode)
        {
            return (response.StatusCode, null);
        }

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, problem.TryGetProperty("code", out var code) ? code.GetString() : null);
    }

    private void Report(string scenario, int requests, TimeSpan elapsed) =>
        output.WriteLine($"{scenario}: {requests} requests in {elapsed.TotalMilliseconds:0} ms ({requests / elapsed.TotalSeconds:0} requests/s)");
}

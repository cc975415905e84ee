using System.Net;
using System.Net.Http.Json;
using Commerce.Modules.Coupons.Features.IssueCoupon;
using Commerce.Testing;

namespace Commerce.Modules.Coupons.Tests;

/// <summary>Every coupon endpoint through real HTTP: success and problem details pinned by snapshots, and auth.</summary>
public sealed class CouponsEndpointTests(CommerceApp app) : IClassFixture<CommerceApp>
{
    // Far from any generated id, so no placeholder in a snapshot is shared by coincidence.
    private const long ProductId = 7_000_007;
    private const long OrderId = 9_000_031;

    private static readonly DateTimeOffset Start = new(2030, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private static object CampaignBody(DateTimeOffset startsAt) => new
    {
        name = "Spring 10% off",
        discountType = "PERCENT",
        discountValue = 10,
        maxDiscount = 5_000,
        target = "ORDER",
        minOrderAmount = 20_000,
        totalQuantity = 500,
        startsAt,
        endsAt = startsAt.AddDays(14),
        validDays = 30,
    };

    [Fact]
    public async Task Admin_creates_a_campaign()
    {
        var admin = await app.AdminAsync();

        var response = await admin.PostAsJsonAsync("/api/admin/coupons", CampaignBody(Start));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Creating_a_campaign_with_broken_terms_is_a_validation_problem()
    {
        var admin = await app.AdminAsync();

        var response = await admin.PostAsJsonAsync("/api/admin/coupons", new
        {
            name = "Broken",
            discountType = "FIXED",
            discountValue = 1_000,
            maxDiscount = 500,
            target = "PRODUCT",
            totalQuantity = 0,
            startsAt = Start,
            endsAt = Start,
            validUntil = Start.AddDays(1),
            validDays = 3,
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Creating_a_campaign_needs_a_signed_in_admin()
    {
        var anonymous = await app.Anonymous().PostAsJsonAsync("/api/admin/coupons", CampaignBody(Start));
        var member = await app.ClientFor(await app.NewMemberAsync()).PostAsJsonAsync("/api/admin/coupons", CampaignBody(Start));

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden), (anonymous.StatusCode, member.StatusCode));
        await Snapshot.MatchAsync(anonymous, test: nameof(Creating_a_campaign_needs_a_signed_in_admin) + "_anonymous");
        await Snapshot.MatchAsync(member, test: nameof(Creating_a_campaign_needs_a_signed_in_admin) + "_member");
    }

    [Fact]
    public async Task Admin_raises_a_campaigns_quantity()
    {
        var campaign = await app.Services.SendAsync(TestCampaigns.Fixed(app.Clock.GetUtcNow(), quantity: 10));

        var response = await (await app.AdminAsync()).PutAsJsonAsync($"/api/admin/coupons/{campaign.Id}/quantity", new { totalQuantity = 25 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Lowering_a_quantity_below_the_issued_coupons_is_a_conflict()
    {
        var campaign = await app.Services.SendAsync(TestCampaigns.Fixed(app.Clock.GetUtcNow(), quantity: 10));
        foreach (var member in await TestMembers.InsertAsync(app.Sql, 2))
        {
            await app.Services.SendAsync(new IssueCoupon(member.Id, campaign.Id));
        }

        var response = await (await app.AdminAsync()).PutAsJsonAsync($"/api/admin/coupons/{campaign.Id}/quantity", new { totalQuantity = 1 });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Changing_the_quantity_of_an_unknown_campaign_is_not_found()
    {
        var response = await (await app.AdminAsync()).PutAsJsonAsync("/api/admin/coupons/999999/quantity", new { totalQuantity = 1 });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Changing_the_quantity_needs_an_admin()
    {
        var response = await app.ClientFor(await app.NewMemberAsync()).PutAsJsonAsync("/api/admin/coupons/1/quantity", new { totalQuantity = 1 });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Anyone_lists_the_campaigns_open_now()
    {
        // Far from every other test's campaigns, so the list holds exactly these two.
        var far = TimeSpan.FromDays(30);
        app.Clock.Advance(far);
        try
        {
            var now = app.Clock.GetUtcNow();
            await app.Services.SendAsync(TestCampaigns.Fixed(now, value: 3_000, quantity: 20, name: "Closing later") with { EndsAt = now.AddDays(9) });
            var closingSoon = await app.Services.SendAsync(TestCampaigns.Percent(now, quantity: 5));
            await app.Services.SendAsync(new IssueCoupon((await app.NewMemberAsync()).Id, closingSoon.Id));
            await app.Services.SendAsync(TestCampaigns.Fixed(now) with { StartsAt = now.AddDays(1) });

            var response = await app.Anonymous().GetAsync("/api/coupons");

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await Snapshot.MatchAsync(response);
        }
        finally
        {
            app.Clock.Advance(-far);
        }
    }

    [Fact]
    public async Task Listing_campaigns_with_a_bad_page_size_is_a_validation_problem()
    {
        var response = await app.Anonymous().GetAsync("/api/coupons?pageSize=0");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Anyone_reads_one_campaign()
    {
        var campaign = await app.Services.SendAsync(TestCampaigns.ForProduct(app.Clock.GetUtcNow(), productId: ProductId));

        var response = await app.Anonymous().GetAsync($"/api/coupons/{campaign.Id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Reading_an_unknown_campaign_is_not_found()
    {
        var response = await app.Anonymous().GetAsync("/api/coupons/999999");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task A_member_claims_a_coupon()
    {
        var campaign = await app.Services.SendAsync(TestCampaigns.Fixed(app.Clock.GetUtcNow(), value: 2_000));

        var response = await app.ClientFor(await app.NewMemberAsync()).PostAsync($"/api/coupons/{campaign.Id}/issue", null);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task A_second_claim_is_a_conflict()
    {
        var campaign = await app.Services.SendAsync(TestCampaigns.Fixed(app.Clock.GetUtcNow()));
        var client = app.ClientFor(await app.NewMemberAsync());
        await client.PostAsync($"/api/coupons/{campaign.Id}/issue", null);

        var response = await client.PostAsync($"/api/coupons/{campaign.Id}/issue", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task A_claim_on_a_sold_out_campaign_is_a_conflict()
    {
        var campaign = await app.Services.SendAsync(TestCampaigns.Fixed(app.Clock.GetUtcNow(), quantity: 1));
        await app.Services.SendAsync(new IssueCoupon((await app.NewMemberAsync()).Id, campaign.Id));

        var response = await app.ClientFor(await app.NewMemberAsync()).PostAsync($"/api/coupons/{campaign.Id}/issue", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task A_claim_outside_the_issue_window_is_unprocessable()
    {
        var now = app.Clock.GetUtcNow();
        var campaign = await app.Services.SendAsync(TestCampaigns.Fixed(now) with { StartsAt = now.AddDays(1), EndsAt = now.AddDays(2) });

        var response = await app.ClientFor(await app.NewMemberAsync()).PostAsync($"/api/coupons/{campaign.Id}/issue", null);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task A_claim_on_an_unknown_campaign_is_not_found()
    {
        var response = await app.ClientFor(await app.NewMemberAsync()).PostAsync("/api/coupons/999999/issue", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Claiming_needs_an_active_member()
    {
        var campaign = await app.Services.SendAsync(TestCampaigns.Fixed(app.Clock.GetUtcNow()));

        var anonymous = await app.Anonymous().PostAsync($"/api/coupons/{campaign.Id}/issue", null);
        var disabled = await app.ClientFor(await app.NewMemberAsync(status: "DISABLED")).PostAsync($"/api/coupons/{campaign.Id}/issue", null);

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden), (anonymous.StatusCode, disabled.StatusCode));
        await Snapshot.MatchAsync(anonymous, test: nameof(Claiming_needs_an_active_member) + "_anonymous");
        await Snapshot.MatchAsync(disabled, test: nameof(Claiming_needs_an_active_member) + "_disabled");
        Assert.Equal(0, await app.Sql.ScalarAsync<int>("SELECT issued_count FROM coupons.campaigns WHERE id = @Id", new { campaign.Id }));
    }

    [Fact]
    public async Task A_member_lists_their_coupons_with_status_and_terms()
    {
        var member = await app.NewMemberAsync();
        var now = app.Clock.GetUtcNow();
        var fixedCoupon = await app.Services.SendAsync(new IssueCoupon(member.Id, (await app.Services.SendAsync(TestCampaigns.Fixed(now))).Id));
        await app.Services.SendAsync(new IssueCoupon(member.Id, (await app.Services.SendAsync(TestCampaigns.ForProduct(now, productId: ProductId))).Id));
        await app.Sql.ExecuteAsync("UPDATE coupons.issued_coupons SET status = 'USED', order_id = @OrderId, used_at = issued_at WHERE id = @Id", new { fixedCoupon.Id, OrderId });
        var client = app.ClientFor(member);

        var all = await client.GetAsync("/api/me/coupons");
        var used = await client.GetAsync("/api/me/coupons?status=USED");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (all.StatusCode, used.StatusCode));
        await Snapshot.MatchAsync(all, test: nameof(A_member_lists_their_coupons_with_status_and_terms) + "_all");
        await Snapshot.MatchAsync(used, test: nameof(A_member_lists_their_coupons_with_status_and_terms) + "_used");
    }

    [Fact]
    public async Task Listing_my_coupons_with_an_unknown_status_is_a_validation_problem()
    {
        var response = await app.ClientFor(await app.NewMemberAsync()).GetAsync("/api/me/coupons?status=LOST");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Listing_my_coupons_needs_a_signed_in_member()
    {
        var response = await app.Anonymous().GetAsync("/api/me/coupons");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }
}

using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Coupons.Features.ChangeCampaignQuantity;
using Commerce.Modules.Coupons.Features.IssueCoupon;
using Commerce.Testing;

namespace Commerce.Modules.Coupons.Tests;

public sealed class IssueCouponTests(ModuleHost host) : IClassFixture<ModuleHost>
{
    [Fact]
    public async Task IssueCoupon_issues_one_coupon_with_the_campaign_terms_and_counts_it()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var now = host.Clock.GetUtcNow();
        var campaign = await host.SendAsync(TestCampaigns.Percent(now, percent: 15, cap: 3_000) with { ValidUntil = null, ValidDays = 14 });

        var coupon = await host.SendAsync(new IssueCoupon(member.Id, campaign.Id));

        Assert.Equal((campaign.Id, CouponTerms.Available, CouponTerms.Percent, 15L, (long?)3_000, CouponTerms.TargetOrder),
            (coupon.CampaignId, coupon.Status, coupon.DiscountType, coupon.DiscountValue, coupon.MaxDiscount, coupon.Target));
        Assert.Equal(now, coupon.IssuedAt);
        Assert.Equal(now.AddDays(14), coupon.ExpiresAt);
        var row = await host.Sql.SingleAsync<(long MemberId, string Status, DateTimeOffset ExpiresAt)>(
            "SELECT member_id, status, expires_at FROM coupons.issued_coupons WHERE id = @Id", new { coupon.Id });
        Assert.Equal((member.Id, CouponTerms.Available, now.AddDays(14)), row);
        Assert.Equal(1, await IssuedCountAsync(campaign.Id));
    }

    [Fact]
    public async Task IssueCoupon_of_a_campaign_with_an_end_date_expires_on_that_date()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var now = host.Clock.GetUtcNow();
        var campaign = await host.SendAsync(TestCampaigns.Percent(now));

        var coupon = await host.SendAsync(new IssueCoupon(member.Id, campaign.Id));

        Assert.Equal(now.AddDays(30), coupon.ExpiresAt);
    }

    [Fact]
    public async Task A_second_claim_by_the_same_member_is_refused_and_counts_nothing()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var campaign = await host.SendAsync(TestCampaigns.Fixed(host.Clock.GetUtcNow()));
        await host.SendAsync(new IssueCoupon(member.Id, campaign.Id));

        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new IssueCoupon(member.Id, campaign.Id)));

        Assert.Equal((409, CouponErrors.CouponAlreadyIssued), (error.Status, error.Code));
        Assert.Equal(1, await IssuedCountAsync(campaign.Id));
        Assert.Equal(1, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM coupons.issued_coupons WHERE campaign_id = @Id", new { campaign.Id }));
    }

    [Fact]
    public async Task A_claim_after_the_last_coupon_is_sold_out()
    {
        var members = await TestMembers.InsertAsync(host.Sql, 3);
        var campaign = await host.SendAsync(TestCampaigns.Fixed(host.Clock.GetUtcNow(), quantity: 2));
        await host.SendAsync(new IssueCoupon(members[0].Id, campaign.Id));
        await host.SendAsync(new IssueCoupon(members[1].Id, campaign.Id));

        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new IssueCoupon(members[2].Id, campaign.Id)));

        Assert.Equal((409, CouponErrors.CouponSoldOut, campaign.Id), (error.Status, error.Code, (long)error.Extensions["campaignId"]!));
        Assert.Equal(2, await IssuedCountAsync(campaign.Id));
    }

    [Fact]
    public async Task Sold_out_comes_before_already_issued()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var campaign = await host.SendAsync(TestCampaigns.Fixed(host.Clock.GetUtcNow(), quantity: 1));
        await host.SendAsync(new IssueCoupon(member.Id, campaign.Id));

        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new IssueCoupon(member.Id, campaign.Id)));

        Assert.Equal(CouponErrors.CouponSoldOut, error.Code);
    }

    [Fact]
    public async Task Raising_the_quantity_of_a_sold_out_campaign_lets_members_claim_again_at_once()
    {
        var members = await TestMembers.InsertAsync(host.Sql, 3);
        var campaign = await host.SendAsync(TestCampaigns.Fixed(host.Clock.GetUtcNow(), quantity: 1));
        await host.SendAsync(new IssueCoupon(members[0].Id, campaign.Id));
        await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new IssueCoupon(members[1].Id, campaign.Id)));

        await host.SendAsync(new ChangeCampaignQuantity(campaign.Id, 2));
        var coupon = await host.SendAsync(new IssueCoupon(members[1].Id, campaign.Id));

        Assert.Equal(campaign.Id, coupon.CampaignId);
        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new IssueCoupon(members[2].Id, campaign.Id)));
        Assert.Equal(CouponErrors.CouponSoldOut, error.Code);
    }

    [Fact]
    public async Task A_quantity_raised_by_another_instance_is_seen_once_the_remembered_sell_out_expires()
    {
        var members = await TestMembers.InsertAsync(host.Sql, 3);
        var campaign = await host.SendAsync(TestCampaigns.Fixed(host.Clock.GetUtcNow(), quantity: 1));
        await host.SendAsync(new IssueCoupon(members[0].Id, campaign.Id));
        await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new IssueCoupon(members[1].Id, campaign.Id)));

        // Another instance raises it: this instance's memory does not hear of it.
        await host.Sql.ExecuteAsync("UPDATE coupons.campaigns SET total_quantity = 2 WHERE id = @Id", new { campaign.Id });
        var stale = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new IssueCoupon(members[1].Id, campaign.Id)));
        host.Clock.Advance(new CouponsOptions().SoldOutMemory);
        var coupon = await host.SendAsync(new IssueCoupon(members[1].Id, campaign.Id));

        Assert.Equal(CouponErrors.CouponSoldOut, stale.Code);
        Assert.Equal(campaign.Id, coupon.CampaignId);
        Assert.Equal(2, await IssuedCountAsync(campaign.Id));
    }

    [Fact]
    public async Task A_claim_before_the_issue_window_opens_is_not_issuable()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var now = host.Clock.GetUtcNow();
        var campaign = await host.SendAsync(TestCampaigns.Fixed(now) with { StartsAt = now.AddMinutes(1) });

        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new IssueCoupon(member.Id, campaign.Id)));

        Assert.Equal((422, CouponErrors.CouponNotIssuable), (error.Status, error.Code));
        Assert.Equal(now.AddMinutes(1), error.Extensions["startsAt"]);
        Assert.Equal(0, await IssuedCountAsync(campaign.Id));
    }

    [Fact]
    public async Task A_claim_at_the_end_of_the_issue_window_is_not_issuable()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var now = host.Clock.GetUtcNow();
        var campaign = await host.SendAsync(TestCampaigns.Fixed(now) with { StartsAt = now.AddDays(-2), EndsAt = now });

        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new IssueCoupon(member.Id, campaign.Id)));

        Assert.Equal((422, CouponErrors.CouponNotIssuable), (error.Status, error.Code));
    }

    [Fact]
    public async Task A_claim_on_an_unknown_campaign_is_not_found()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);

        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new IssueCoupon(member.Id, 999_999)));

        Assert.Equal((404, CouponErrors.CampaignNotFound), (error.Status, error.Code));
    }

    private Task<int> IssuedCountAsync(long campaignId) =>
        host.Sql.ScalarAsync<int>("SELECT issued_count FROM coupons.campaigns WHERE id = @campaignId", new { campaignId });
}

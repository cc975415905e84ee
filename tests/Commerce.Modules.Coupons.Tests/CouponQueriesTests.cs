using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Coupons.Features.GetCampaign;
using Commerce.Modules.Coupons.Features.GetMyCoupons;
using Commerce.Modules.Coupons.Features.IssueCoupon;
using Commerce.Modules.Coupons.Features.ListOpenCampaigns;
using Commerce.Testing;
using FluentValidation;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Modules.Coupons.Tests;

public sealed class CouponQueriesTests(ModuleHost host) : IClassFixture<ModuleHost>
{
    [Fact]
    public async Task ListOpenCampaigns_shows_campaigns_in_their_window_with_coupons_left_and_how_many()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var now = host.Clock.GetUtcNow();
        var open = await host.SendAsync(TestCampaigns.Fixed(now, quantity: 3));
        var notYet = await host.SendAsync(TestCampaigns.Fixed(now) with { StartsAt = now.AddSeconds(1) });
        var over = await host.SendAsync(TestCampaigns.Fixed(now) with { StartsAt = now.AddDays(-3), EndsAt = now });
        var soldOut = await host.SendAsync(TestCampaigns.Fixed(now, quantity: 1));
        await host.SendAsync(new IssueCoupon(member.Id, open.Id));
        await host.SendAsync(new IssueCoupon(member.Id, soldOut.Id));

        var page = await host.SendAsync(new ListOpenCampaigns(1, 100));

        var listed = Assert.Single(page.Items, c => c.Id == open.Id);
        Assert.Equal((3, 1, 2), (listed.TotalQuantity, listed.IssuedCount, listed.Remaining));
        Assert.DoesNotContain(page.Items, c => c.Id == notYet.Id || c.Id == over.Id || c.Id == soldOut.Id);
        Assert.Equal(page.Items.Count, page.TotalCount);
        Assert.True(page.Items.Zip(page.Items.Skip(1)).All(p => p.First.EndsAt <= p.Second.EndsAt), "Closing soonest first.");
    }

    [Fact]
    public async Task GetCampaign_shows_any_campaign_and_an_unknown_one_is_not_found()
    {
        var now = host.Clock.GetUtcNow();
        var over = await host.SendAsync(TestCampaigns.Fixed(now) with { StartsAt = now.AddDays(-3), EndsAt = now.AddDays(-1) });

        var shown = await host.SendAsync(new GetCampaign(over.Id));
        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new GetCampaign(999_999)));

        Assert.Equal(over, shown);
        Assert.Equal((404, CouponErrors.CampaignNotFound), (error.Status, error.Code));
    }

    [Fact]
    public async Task GetMyCoupons_lists_newest_first_and_filters_by_status_with_expiry_evaluated_now()
    {
        var (member, available, used, expired) = await MemberWithThreeCouponsAsync();

        var all = await host.SendAsync(new GetMyCoupons(member.Id, null, 1, 20));
        var onlyAvailable = await host.SendAsync(new GetMyCoupons(member.Id, CouponTerms.Available, 1, 20));
        var onlyUsed = await host.SendAsync(new GetMyCoupons(member.Id, CouponTerms.Used, 1, 20));
        var onlyExpired = await host.SendAsync(new GetMyCoupons(member.Id, CouponTerms.Expired, 1, 20));

        Assert.Equal([expired, used, available], all.Items.Select(c => c.Id));
        Assert.Equal([CouponTerms.Expired, CouponTerms.Used, CouponTerms.Available], all.Items.Select(c => c.Status));
        Assert.Equal(3, all.TotalCount);
        Assert.Equal([available], onlyAvailable.Items.Select(c => c.Id));
        Assert.Equal([used], onlyUsed.Items.Select(c => c.Id));
        Assert.Equal(1, onlyUsed.TotalCount);
        Assert.Equal([expired], onlyExpired.Items.Select(c => c.Id));
        Assert.Equal((long?)900, onlyUsed.Items[0].OrderId);
    }

    [Fact]
    public async Task An_available_coupon_reads_as_expired_once_its_time_has_passed()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var campaign = await host.SendAsync(TestCampaigns.Fixed(host.Clock.GetUtcNow()) with { ValidDays = 1 });
        var coupon = await host.SendAsync(new IssueCoupon(member.Id, campaign.Id));

        var before = await host.SendAsync(new GetMyCoupons(member.Id, null, 1, 20));
        host.Clock.Advance(TimeSpan.FromDays(1));
        var after = await host.SendAsync(new GetMyCoupons(member.Id, null, 1, 20));

        Assert.Equal((coupon.Id, CouponTerms.Available), (before.Items[0].Id, before.Items[0].Status));
        Assert.Equal((coupon.Id, CouponTerms.Expired), (after.Items[0].Id, after.Items[0].Status));
        Assert.Equal(CouponTerms.Available, await host.Sql.CouponStatusAsync(coupon.Id));
    }

    [Fact]
    public async Task GetMyCoupons_pages_and_shows_nobody_elses_coupons()
    {
        var (member, _, _, _) = await MemberWithThreeCouponsAsync();
        var stranger = await TestMembers.InsertOneAsync(host.Sql);

        var second = await host.SendAsync(new GetMyCoupons(member.Id, null, 2, 2));
        var none = await host.SendAsync(new GetMyCoupons(stranger.Id, null, 1, 20));

        Assert.Equal((1, 3L, 2, 2), (second.Items.Count, second.TotalCount, second.Page, second.PageSize));
        Assert.Equal((0, 0L), (none.Items.Count, none.TotalCount));
    }

    [Theory]
    [InlineData("available", 1, 20, "Status")]
    [InlineData("GONE", 1, 20, "Status")]
    [InlineData(null, 0, 20, "page")]
    [InlineData(null, 1, 101, "pageSize")]
    public async Task GetMyCoupons_with_a_bad_filter_or_page_is_a_validation_error(string? status, int page, int pageSize, string field)
    {
        var error = await Assert.ThrowsAsync<ValidationException>(() => host.SendAsync(new GetMyCoupons(1, status, page, pageSize)));

        Assert.Equal(field, Assert.Single(error.Errors).PropertyName);
    }

    /// <summary>Issued in this order: one AVAILABLE, one USED by order 900, one whose validity has passed.</summary>
    private async Task<(TestMember Member, long Available, long Used, long Expired)> MemberWithThreeCouponsAsync()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var now = host.Clock.GetUtcNow();
        var available = await host.SendAsync(new IssueCoupon(member.Id, (await host.SendAsync(TestCampaigns.Fixed(now))).Id));
        var used = await host.SendAsync(new IssueCoupon(member.Id, (await host.SendAsync(TestCampaigns.Percent(now))).Id));
        await host.InTransactionAsync(async sp =>
        {
            await sp.GetRequiredService<ICouponRedemption>().MarkUsedAsync([used.Id], 900, now, default);
            return 0;
        });
        var expired = await host.SendAsync(new IssueCoupon(member.Id, (await host.SendAsync(TestCampaigns.Fixed(now))).Id));
        await host.Sql.ExecuteAsync(
            "UPDATE coupons.issued_coupons SET issued_at = @Now - interval '10 days', expires_at = @Now - interval '1 day' WHERE id = @Id",
            new { Now = now, expired.Id });
        return (member, available.Id, used.Id, expired.Id);
    }
}

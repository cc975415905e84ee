using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Coupons.Features.CreateCampaign;
using Commerce.Modules.Coupons.Features.IssueCoupon;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Commerce.Modules.Coupons.Tests;

/// <summary>The contract the order flows call, inside a transaction as they do.</summary>
public sealed class CouponRedemptionTests(ModuleHost host) : IClassFixture<ModuleHost>
{
    [Fact]
    public async Task LockAsync_locks_only_the_members_own_coupons_in_id_order_and_leaves_the_campaign_free()
    {
        var (member, other) = await TwoMembersAsync();
        var now = host.Clock.GetUtcNow();
        var first = await IssueAsync(member, TestCampaigns.ForProduct(now, productId: 42, value: 2_500));
        var second = await IssueAsync(member, TestCampaigns.Fixed(now));
        var notAsked = await IssueAsync(member, TestCampaigns.Fixed(now));
        var theirs = await IssueAsync(other, TestCampaigns.Fixed(now));

        var (locked, lockedIds, campaignLocked, notAskedLocked) = await host.InTransactionAsync(async sp =>
        {
            var coupons = await sp.GetRequiredService<ICouponRedemption>().LockAsync(member.Id, [second.Id, first.Id, theirs.Id, 999_999], default);
            return (coupons, await LockedByOthersAsync(first.Id, second.Id, theirs.Id), await CampaignLockedAsync(first.CampaignId),
                (await LockedByOthersAsync(notAsked.Id)).Count > 0);
        });

        Assert.Equal([first.Id, second.Id], locked.Select(c => c.Id));
        Assert.Equal([first.Id, second.Id], lockedIds);
        Assert.False(campaignLocked);
        Assert.False(notAskedLocked);
        Assert.Equal(new IssuedCoupon(first.Id, member.Id, first.CampaignId, "Product coupon", CouponTerms.Available, CouponTerms.Fixed, 2_500, null,
            CouponTerms.TargetProduct, 42, 5_000, first.IssuedAt, first.ExpiresAt), locked[0]);
    }

    [Fact]
    public async Task LockUsableAsync_returns_available_unexpired_coupons_and_skips_used_and_expired_ones()
    {
        var (member, _) = await TwoMembersAsync();
        var now = host.Clock.GetUtcNow();
        var lasting = await IssueAsync(member, TestCampaigns.Fixed(now) with { ValidDays = 30 });
        var shortLived = await IssueAsync(member, TestCampaigns.Fixed(now) with { ValidDays = 1 });
        var used = await IssueAsync(member, TestCampaigns.Fixed(now));
        await host.InTransactionAsync(async sp =>
        {
            await sp.GetRequiredService<ICouponRedemption>().MarkUsedAsync([used.Id], 501, now, default);
            return 0;
        });

        var (usableNow, usableInTwoDays, locked) = await host.InTransactionAsync(async sp =>
        {
            var redemption = sp.GetRequiredService<ICouponRedemption>();
            var inTwoDays = await redemption.LockUsableAsync(member.Id, now.AddDays(2), default);
            return (await redemption.LockUsableAsync(member.Id, now, default), inTwoDays, await LockedByOthersAsync(lasting.Id, shortLived.Id, used.Id));
        });

        Assert.Equal([lasting.Id, shortLived.Id], usableNow.Select(c => c.Id));
        Assert.Equal([lasting.Id], usableInTwoDays.Select(c => c.Id));
        Assert.Equal([lasting.Id, shortLived.Id], locked);
    }

    [Fact]
    public async Task MarkUsedAsync_marks_the_coupons_used_by_the_order()
    {
        var (member, _) = await TwoMembersAsync();
        var now = host.Clock.GetUtcNow();
        var a = await IssueAsync(member, TestCampaigns.Fixed(now));
        var b = await IssueAsync(member, TestCampaigns.Percent(now));

        await host.InTransactionAsync(async sp =>
        {
            var redemption = sp.GetRequiredService<ICouponRedemption>();
            var coupons = await redemption.LockAsync(member.Id, [a.Id, b.Id], default);
            await redemption.MarkUsedAsync(coupons.Select(c => c.Id).ToList(), 77, now, default);
            return 0;
        });

        var rows = await host.Sql.QueryAsync<(string Status, long? OrderId, DateTimeOffset? UsedAt)>(
            "SELECT status, order_id, used_at FROM coupons.issued_coupons WHERE id = ANY(@Ids)", new { Ids = new[] { a.Id, b.Id } });
        Assert.All(rows, r => Assert.Equal((CouponTerms.Used, (long?)77, (DateTimeOffset?)now), r));
    }

    [Fact]
    public async Task MarkUsedOrRaise_sent_with_the_commit_refuses_a_coupon_that_is_no_longer_available_as_MarkUsedAsync_words_it()
    {
        var (member, _) = await TwoMembersAsync();
        var now = host.Clock.GetUtcNow();
        var fresh = await IssueAsync(member, TestCampaigns.Fixed(now));
        var spent = await IssueAsync(member, TestCampaigns.Fixed(now));
        var other = await IssueAsync(member, TestCampaigns.Fixed(now));
        await host.InTransactionAsync(async sp =>
        {
            await sp.GetRequiredService<ICouponRedemption>().MarkUsedAsync([spent.Id], 1, now, default);
            return 0;
        });

        var error = await Assert.ThrowsAsync<PostgresException>(() => host.InTransactionAsync(sp =>
        {
            sp.GetRequiredService<DbSession>().BeforeCommit(sp.GetRequiredService<ICouponRedemption>().MarkUsedOrRaise([other.Id, spent.Id, fresh.Id], 2, now));
            return Task.FromResult(0);
        }));
        await host.InTransactionAsync(sp =>
        {
            sp.GetRequiredService<DbSession>().BeforeCommit(sp.GetRequiredService<ICouponRedemption>().MarkUsedOrRaise([fresh.Id], 3, now));
            return Task.FromResult(0);
        });

        Assert.Equal(("CM422", "COUPON_NOT_USABLE"), (error.SqlState, error.MessageText));
        Assert.Equal($$"""{"detail" : "Coupon {{spent.Id}} cannot be used: it is not an available, unexpired coupon.", "couponId" : {{spent.Id}}}""", error.Hint);
        Assert.Equal((CouponTerms.Available, CouponTerms.Used), (await host.Sql.CouponStatusAsync(other.Id), await host.Sql.CouponStatusAsync(fresh.Id)));
        Assert.Equal(3, await host.Sql.ScalarAsync<long>("SELECT order_id FROM coupons.issued_coupons WHERE id = @Id", new { fresh.Id }));
    }

    [Fact]
    public async Task MarkUsedAsync_with_a_coupon_that_is_no_longer_available_is_refused_and_the_transaction_changes_nothing()
    {
        var (member, _) = await TwoMembersAsync();
        var now = host.Clock.GetUtcNow();
        var fresh = await IssueAsync(member, TestCampaigns.Fixed(now));
        var spent = await IssueAsync(member, TestCampaigns.Fixed(now));
        await host.InTransactionAsync(async sp =>
        {
            await sp.GetRequiredService<ICouponRedemption>().MarkUsedAsync([spent.Id], 1, now, default);
            return 0;
        });

        var error = await Assert.ThrowsAsync<AppException>(() => host.InTransactionAsync(async sp =>
        {
            await sp.GetRequiredService<ICouponRedemption>().MarkUsedAsync([fresh.Id, spent.Id], 2, now, default);
            return 0;
        }));

        Assert.Equal((422, CouponErrors.CouponNotUsable, spent.Id), (error.Status, error.Code, (long)error.Extensions["couponId"]!));
        Assert.Equal(CouponTerms.Available, await host.Sql.CouponStatusAsync(fresh.Id));
        Assert.Equal(1, await host.Sql.ScalarAsync<long>("SELECT order_id FROM coupons.issued_coupons WHERE id = @Id", new { spent.Id }));
    }

    [Fact]
    public async Task RestoreAsync_gives_back_only_the_orders_coupons_and_is_idempotent()
    {
        var (member, _) = await TwoMembersAsync();
        var now = host.Clock.GetUtcNow();
        var a = await IssueAsync(member, TestCampaigns.Fixed(now));
        var b = await IssueAsync(member, TestCampaigns.Fixed(now));
        var otherOrders = await IssueAsync(member, TestCampaigns.Fixed(now));
        await host.InTransactionAsync(async sp =>
        {
            var redemption = sp.GetRequiredService<ICouponRedemption>();
            await redemption.MarkUsedAsync([a.Id, b.Id], 10, now, default);
            await redemption.MarkUsedAsync([otherOrders.Id], 11, now, default);
            return 0;
        });

        for (var attempt = 0; attempt < 2; attempt++)
        {
            await host.InTransactionAsync(async sp =>
            {
                await sp.GetRequiredService<ICouponRedemption>().RestoreAsync([b.Id, a.Id, otherOrders.Id], 10, default);
                return 0;
            });

            Assert.Equal((CouponTerms.Available, CouponTerms.Available, CouponTerms.Used),
                (await host.Sql.CouponStatusAsync(a.Id), await host.Sql.CouponStatusAsync(b.Id), await host.Sql.CouponStatusAsync(otherOrders.Id)));
        }

        Assert.Equal(0, await host.Sql.ScalarAsync<long>(
            "SELECT count(*) FROM coupons.issued_coupons WHERE id = ANY(@Ids) AND (order_id IS NOT NULL OR used_at IS NOT NULL)", new { Ids = new[] { a.Id, b.Id } }));
    }

    [Fact]
    public async Task The_contract_chooses_and_applies_discounts_on_locked_coupons()
    {
        var (member, _) = await TwoMembersAsync();
        var now = host.Clock.GetUtcNow();
        var product = await IssueAsync(member, TestCampaigns.ForProduct(now, productId: 5, value: 2_000));
        var percent = await IssueAsync(member, TestCampaigns.Percent(now, percent: 10, cap: 5_000));
        await IssueAsync(member, TestCampaigns.Fixed(now, value: 500));
        BasketLine[] lines = [new(5, 2, 6_000), new(6, 1, 4_000)];

        var (best, applied) = await host.InTransactionAsync(async sp =>
        {
            var redemption = sp.GetRequiredService<ICouponRedemption>();
            var usable = await redemption.LockUsableAsync(member.Id, now, default);
            var choice = redemption.ChooseBest(lines, usable, now);
            return (choice, redemption.Apply(lines, usable.Where(c => choice.AppliedCouponIds.Contains(c.Id)).ToList(), now));
        }, commit: false);

        // 2,000 off product 5's line of 12,000, then 10% of the remaining 14,000.
        Assert.Equal([product.Id, percent.Id], best.AppliedCouponIds);
        Assert.Equal((2_000L, 1_400L, 3_400L), (best.Lines[0].Amount, best.OrderDiscount, best.Total));
        Assert.Equal(best.Total, applied.Total);
    }

    private async Task<(TestMember Member, TestMember Other)> TwoMembersAsync()
    {
        var members = await TestMembers.InsertAsync(host.Sql, 2);
        return (members[0], members[1]);
    }

    private async Task<CouponResponse> IssueAsync(TestMember member, CreateCampaign campaign)
    {
        var created = await host.SendAsync(campaign);
        return await host.SendAsync(new IssueCoupon(member.Id, created.Id));
    }

    /// <summary>Which of these coupons another transaction cannot lock right now.</summary>
    private async Task<IReadOnlyList<long>> LockedByOthersAsync(params long[] couponIds)
    {
        var locked = new List<long>();
        foreach (var id in couponIds)
        {
            if (await IsLockedAsync("SELECT id FROM coupons.issued_coupons WHERE id = @Id FOR UPDATE NOWAIT", id))
            {
                locked.Add(id);
            }
        }

        return locked;
    }

    private Task<bool> CampaignLockedAsync(long campaignId) =>
        IsLockedAsync("SELECT id FROM coupons.campaigns WHERE id = @Id FOR UPDATE NOWAIT", campaignId);

    private async Task<bool> IsLockedAsync(string sql, long id)
    {
        try
        {
            await host.Sql.ExecuteAsync(sql, new { Id = id });
            return false;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            return true;
        }
    }
}

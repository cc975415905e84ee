using System.Diagnostics;
using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Coupons.Features.IssueCoupon;
using Commerce.Testing;
using Npgsql;

namespace Commerce.Modules.Coupons.Tests;

public sealed class ShortLockTimeoutHost : ModuleHost
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Commerce:Database:LockTimeout"] = "00:00:00.300",
    };
}

/// <summary>What IssueCoupon does while something else holds the campaign row's lock.</summary>
public sealed class IssueCouponLockingTests(ShortLockTimeoutHost host) : IClassFixture<ShortLockTimeoutHost>
{
    [Fact]
    public async Task A_claim_gives_up_after_the_lock_timeout_and_changes_nothing()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var campaign = await host.SendAsync(TestCampaigns.Fixed(host.Clock.GetUtcNow()));
        await using var holder = await LockCampaignAsync(campaign.Id);

        var started = Stopwatch.GetTimestamp();
        var error = await Assert.ThrowsAsync<PostgresException>(() => host.SendAsync(new IssueCoupon(member.Id, campaign.Id)));

        // The timeout is set inside the claim's own one-statement transaction, not on the pooled connection.
        Assert.Equal(PostgresErrorCodes.LockNotAvailable, error.SqlState);
        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        await holder.DisposeAsync();
        Assert.Equal(0, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM coupons.issued_coupons WHERE campaign_id = @Id", new { campaign.Id }));
    }

    [Fact]
    public async Task Refusals_of_the_check_never_wait_for_the_campaign_row_lock()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var now = host.Clock.GetUtcNow();
        var campaign = await host.SendAsync(TestCampaigns.Fixed(now));
        var closed = await host.SendAsync(TestCampaigns.Fixed(now) with { StartsAt = now.AddDays(1), EndsAt = now.AddDays(2) });
        var soldOut = await host.SendAsync(TestCampaigns.Fixed(now, quantity: 1));
        await host.SendAsync(new IssueCoupon(member.Id, campaign.Id));
        // Sold out by another instance: this one has not seen it, so only the database can say so.
        await host.Sql.ExecuteAsync("UPDATE coupons.campaigns SET issued_count = 1 WHERE id = @Id", new { soldOut.Id });
        await using var holder = await LockCampaignAsync(campaign.Id, closed.Id, soldOut.Id);

        // A refusal that waited for the lock would end in the lock timeout (a PostgresException), not in its own code.
        var again = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new IssueCoupon(member.Id, campaign.Id)));
        var early = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new IssueCoupon(member.Id, closed.Id)));
        var none = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new IssueCoupon(member.Id, soldOut.Id)));

        Assert.Equal((CouponErrors.CouponAlreadyIssued, CouponErrors.CouponNotIssuable, CouponErrors.CouponSoldOut), (again.Code, early.Code, none.Code));
    }

    /// <summary>Holds FOR UPDATE on the campaigns in an open transaction until disposed.</summary>
    private async Task<NpgsqlConnection> LockCampaignAsync(params long[] campaignIds)
    {
        var connection = new NpgsqlConnection(host.Sql.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("BEGIN; SELECT id FROM coupons.campaigns WHERE id = ANY(@Ids) FOR UPDATE", connection);
        command.Parameters.AddWithValue("Ids", campaignIds);
        await command.ExecuteNonQueryAsync();
        return connection;
    }
}

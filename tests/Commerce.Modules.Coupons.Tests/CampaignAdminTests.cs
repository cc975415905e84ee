using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Coupons.Features.ChangeCampaignQuantity;
using Commerce.Modules.Coupons.Features.CreateCampaign;
using Commerce.Modules.Coupons.Features.IssueCoupon;
using Commerce.Testing;
using Dapper;
using FluentValidation;
using Npgsql;

namespace Commerce.Modules.Coupons.Tests;

public sealed class CampaignAdminTests(ModuleHost host) : IClassFixture<ModuleHost>
{
    private static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task CreateCampaign_stores_every_term()
    {
        var now = host.Clock.GetUtcNow();

        var campaign = await host.SendAsync(new CreateCampaign("  Shoes 20% off  ", CouponTerms.Percent, 20, CouponTerms.TargetProduct, 50,
            Start, Start.AddDays(3), MaxDiscount: 5_000, ProductId: 42, MinOrderAmount: 10_000, ValidUntil: Start.AddDays(10)));

        Assert.Equal(new CampaignResponse(campaign.Id, "Shoes 20% off", CouponTerms.Percent, 20, 5_000, CouponTerms.TargetProduct, 42, 10_000,
            50, 0, 50, Start, Start.AddDays(3), Start.AddDays(10), null, now, now), campaign);
        Assert.Equal(1, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM coupons.campaigns WHERE id = @Id AND product_id = 42", new { campaign.Id }));
    }

    private static readonly Dictionary<string, (Func<CreateCampaign, CreateCampaign> Change, string Field)> InvalidCommands = new()
    {
        ["blank name"] = (c => c with { Name = "  " }, "Name"),
        ["name over 100 characters"] = (c => c with { Name = new string('x', 101) }, "Name"),
        ["unknown discount type"] = (c => c with { DiscountType = "HALF" }, "DiscountType"),
        ["zero fixed discount"] = (c => c with { DiscountValue = 0 }, "DiscountValue"),
        ["percent above 100"] = (c => c with { DiscountType = CouponTerms.Percent, DiscountValue = 101 }, "DiscountValue"),
        ["cap on a fixed discount"] = (c => c with { MaxDiscount = 500 }, "MaxDiscount"),
        ["zero cap"] = (c => c with { DiscountType = CouponTerms.Percent, DiscountValue = 10, MaxDiscount = 0 }, "MaxDiscount"),
        ["unknown target"] = (c => c with { Target = "CART" }, "Target"),
        ["product target without a product"] = (c => c with { Target = CouponTerms.TargetProduct }, "ProductId"),
        ["order target naming a product"] = (c => c with { ProductId = 3 }, "ProductId"),
        ["zero minimum amount"] = (c => c with { MinOrderAmount = 0 }, "MinOrderAmount"),
        ["zero quantity"] = (c => c with { TotalQuantity = 0 }, "TotalQuantity"),
        ["window ending when it starts"] = (c => c with { EndsAt = c.StartsAt }, "EndsAt"),
        ["both an end date and days"] = (c => c with { ValidUntil = c.EndsAt }, "ValidDays"),
        ["neither an end date nor days"] = (c => c with { ValidDays = null }, "ValidDays"),
        ["zero days"] = (c => c with { ValidDays = 0 }, "ValidDays"),
        ["end date before the window ends"] = (c => c with { ValidDays = null, ValidUntil = c.EndsAt.AddSeconds(-1) }, "ValidUntil"),
    };

    public static TheoryData<string> InvalidCommandNames => new(InvalidCommands.Keys);

    [Theory]
    [MemberData(nameof(InvalidCommandNames))]
    public async Task CreateCampaign_with_an_invalid_term_is_a_validation_error(string name)
    {
        var (change, field) = InvalidCommands[name];

        var error = await Assert.ThrowsAsync<ValidationException>(() => host.SendAsync(change(TestCampaigns.Fixed(Start))));

        Assert.Equal(field, Assert.Single(error.Errors).PropertyName);
    }

    private static readonly Dictionary<string, Action<DynamicParameters>> BrokenRows = new()
    {
        ["blank name"] = p => p.Add("Name", " "),
        ["zero discount"] = p => p.Add("DiscountValue", 0L),
        ["percent above 100"] = p => { p.Add("DiscountType", "PERCENT"); p.Add("DiscountValue", 101L); },
        ["cap on a fixed discount"] = p => p.Add("MaxDiscount", 100L),
        ["product target without a product"] = p => p.Add("Target", "PRODUCT"),
        ["order target naming a product"] = p => p.Add("ProductId", 9L),
        ["zero minimum amount"] = p => p.Add("MinOrderAmount", 0L),
        ["more issued than the total"] = p => p.Add("IssuedCount", 11),
        ["window ending before it starts"] = p => p.Add("EndsAt", Start.AddDays(-1)),
        ["both an end date and days"] = p => p.Add("ValidUntil", Start.AddDays(30)),
        ["neither an end date nor days"] = p => p.Add("ValidDays", null),
        ["end date before the window ends"] = p => { p.Add("ValidDays", null); p.Add("ValidUntil", Start.AddDays(1)); },
    };

    public static TheoryData<string> BrokenRowNames => new(BrokenRows.Keys);

    [Theory]
    [MemberData(nameof(BrokenRowNames))]
    public async Task The_campaigns_table_refuses_a_row_that_breaks_a_rule(string name)
    {
        var parameters = new DynamicParameters(new
        {
            Name = "Rule check", DiscountType = "FIXED", DiscountValue = 1_000L, MaxDiscount = (long?)null, Target = "ORDER", ProductId = (long?)null,
            MinOrderAmount = (long?)null, TotalQuantity = 10, IssuedCount = 0, StartsAt = Start, EndsAt = Start.AddDays(7),
            ValidUntil = (DateTimeOffset?)null, ValidDays = (int?)30,
        });
        BrokenRows[name](parameters);

        var error = await Assert.ThrowsAsync<PostgresException>(() => host.Sql.ExecuteAsync("""
            INSERT INTO coupons.campaigns (name, discount_type, discount_value, max_discount, target, product_id, min_order_amount,
                                           total_quantity, issued_count, starts_at, ends_at, valid_until, valid_days, created_at, updated_at)
            VALUES (@Name, @DiscountType, @DiscountValue, @MaxDiscount, @Target, @ProductId, @MinOrderAmount,
                    @TotalQuantity, @IssuedCount, @StartsAt, @EndsAt, @ValidUntil, @ValidDays, now(), now())
            """, parameters));

        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
    }

    [Fact]
    public async Task The_issued_coupons_table_refuses_a_second_coupon_per_member_and_a_used_coupon_without_an_order()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var campaign = await host.SendAsync(TestCampaigns.Fixed(host.Clock.GetUtcNow()));
        var coupon = await host.SendAsync(new IssueCoupon(member.Id, campaign.Id));

        var duplicate = await Assert.ThrowsAsync<PostgresException>(() => host.Sql.ExecuteAsync("""
            INSERT INTO coupons.issued_coupons (campaign_id, member_id, status, issued_at, expires_at)
            VALUES (@CampaignId, @MemberId, 'AVAILABLE', now(), now() + interval '1 day')
            """, new { CampaignId = campaign.Id, MemberId = member.Id }));
        var usedWithoutOrder = await Assert.ThrowsAsync<PostgresException>(() => host.Sql.ExecuteAsync(
            "UPDATE coupons.issued_coupons SET status = 'USED', used_at = issued_at WHERE id = @Id", new { coupon.Id }));
        var expiringBeforeIssue = await Assert.ThrowsAsync<PostgresException>(() => host.Sql.ExecuteAsync(
            "UPDATE coupons.issued_coupons SET expires_at = issued_at WHERE id = @Id", new { coupon.Id }));

        Assert.Equal(PostgresErrorCodes.UniqueViolation, duplicate.SqlState);
        Assert.Equal(PostgresErrorCodes.CheckViolation, usedWithoutOrder.SqlState);
        Assert.Equal(PostgresErrorCodes.CheckViolation, expiringBeforeIssue.SqlState);
    }

    [Fact]
    public async Task ChangeCampaignQuantity_raises_and_lowers_down_to_the_issued_count()
    {
        var members = await TestMembers.InsertAsync(host.Sql, 2);
        var campaign = await host.SendAsync(TestCampaigns.Fixed(host.Clock.GetUtcNow(), quantity: 5));
        await host.SendAsync(new IssueCoupon(members[0].Id, campaign.Id));
        await host.SendAsync(new IssueCoupon(members[1].Id, campaign.Id));

        var raised = await host.SendAsync(new ChangeCampaignQuantity(campaign.Id, 8));
        var lowered = await host.SendAsync(new ChangeCampaignQuantity(campaign.Id, 2));

        Assert.Equal((8, 2, 6), (raised.TotalQuantity, raised.IssuedCount, raised.Remaining));
        Assert.Equal((2, 2, 0), (lowered.TotalQuantity, lowered.IssuedCount, lowered.Remaining));
    }

    [Fact]
    public async Task ChangeCampaignQuantity_below_the_issued_count_is_refused_and_changes_nothing()
    {
        var members = await TestMembers.InsertAsync(host.Sql, 2);
        var campaign = await host.SendAsync(TestCampaigns.Fixed(host.Clock.GetUtcNow(), quantity: 5));
        await host.SendAsync(new IssueCoupon(members[0].Id, campaign.Id));
        await host.SendAsync(new IssueCoupon(members[1].Id, campaign.Id));

        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new ChangeCampaignQuantity(campaign.Id, 1)));

        Assert.Equal((409, "QUANTITY_BELOW_ISSUED", 2), (error.Status, error.Code, (int)error.Extensions["issuedCount"]!));
        Assert.Equal(5, await host.Sql.ScalarAsync<int>("SELECT total_quantity FROM coupons.campaigns WHERE id = @Id", new { campaign.Id }));
    }

    [Fact]
    public async Task ChangeCampaignQuantity_of_an_unknown_campaign_is_not_found()
    {
        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new ChangeCampaignQuantity(999_999, 10)));

        Assert.Equal((404, CouponErrors.CampaignNotFound), (error.Status, error.Code));
    }
}

using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Commerce.BuildingBlocks.Telemetry;
using Commerce.Modules.Coupons.Contracts;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Coupons.Features.IssueCoupon;

/// <summary>
/// A member claims a campaign's coupon, first come, first served. A multi-step command with a single step, not an
/// ICommand: the whole claim is one atomic SQL statement, so it commits on its own without an explicit transaction
/// (and a sold-out campaign is refused from memory without a connection at all). Wrapped in
/// BEGIN … COMMIT, the campaign row (the hottest row in the product) would stay locked while the result travels
/// back to the app, waits for a thread, and the COMMIT travels to the server; as one statement the lock is
/// released inside the server, the moment the statement's implicit transaction commits.
/// </summary>
public sealed record IssueCoupon(long MemberId, long CampaignId) : IMultiStepCommand<CouponResponse>;

internal sealed class IssueCouponValidator : AbstractValidator<IssueCoupon>
{
    public IssueCouponValidator()
    {
        RuleFor(c => c.MemberId).GreaterThan(0);
        RuleFor(c => c.CampaignId).GreaterThan(0);
    }
}

internal sealed class IssueCouponHandler(DbSession session, SoldOutCampaigns soldOut, TimeProvider clock)
    : IRequestHandler<IssueCoupon, CouponResponse>
{
    // One round trip, one implicit transaction, so the campaign row's lock is released inside the server when the
    // statement commits. The lock and statement timeouts are the connection's own (ConnectionStringDefaults).
    //   seen:     committed state, no lock. A claim bound to fail (window closed, sold out, member already has one)
    //             gates the next step off (a one-time filter: no row is scanned, so no lock is ever requested).
    //   campaign: the row lock; open/has_left are re-read from the locked, latest row version.
    //   issued:   the coupon, if still open with coupons left; a member's second claim hits the unique constraint
    //             and inserts nothing.
    //   counted:  the count goes up only for a row actually inserted, so it can never move without a coupon.
    private const string IssueSql = """
        WITH seen AS MATERIALIZED (
            SELECT c.starts_at, c.ends_at,
                   c.starts_at <= @Now AND @Now < c.ends_at AS open,
                   c.issued_count < c.total_quantity AS has_left,
                   EXISTS (SELECT FROM coupons.issued_coupons i WHERE i.campaign_id = c.id AND i.member_id = @MemberId) AS already_issued
            FROM coupons.campaigns c WHERE c.id = @CampaignId
        ), campaign AS MATERIALIZED (
            SELECT id, name, discount_type, discount_value, max_discount, target, product_id, min_order_amount, total_quantity,
                   starts_at <= @Now AND @Now < ends_at AS open,
                   issued_count < total_quantity AS has_left,
                   coalesce(valid_until, @Now + valid_days * interval '24 hours') AS expires_at
            FROM coupons.campaigns
            WHERE id = @CampaignId AND (SELECT open AND has_left AND NOT already_issued FROM seen)
            FOR UPDATE
        ), issued AS (
            INSERT INTO coupons.issued_coupons (campaign_id, member_id, status, issued_at, expires_at)
            SELECT id, @MemberId, 'AVAILABLE', @Now, expires_at FROM campaign WHERE open AND has_left
            ON CONFLICT (campaign_id, member_id) DO NOTHING
            RETURNING id, issued_at, expires_at
        ), counted AS (
            UPDATE coupons.campaigns SET issued_count = issued_count + 1
            WHERE id = @CampaignId AND EXISTS (SELECT FROM issued)
            RETURNING issued_count
        )
        SELECT coalesce(c.open, s.open) AS open, coalesce(c.has_left, s.has_left) AS has_left, s.starts_at, s.ends_at,
               n.issued_count >= c.total_quantity AS sold_out_now,
               i.id, c.id AS campaign_id, c.name, c.discount_type, c.discount_value, c.max_discount, c.target,
               c.product_id, c.min_order_amount, i.issued_at, i.expires_at
        FROM seen s LEFT JOIN campaign c ON true LEFT JOIN issued i ON true LEFT JOIN counted n ON true
        """;

    public async Task<CouponResponse> Handle(IssueCoupon command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var generation = soldOut.Generation;

        // 1. A sell-out this instance saw moments ago is answered from memory, without the database.
        if (soldOut.IsSoldOut(command.CampaignId))
        {
            throw SoldOut(command.CampaignId);
        }

        // 2. Check, then claim under the campaign row lock, in one statement whose outcome says what happened.
        await session.OpenAsync(ct);
        var outcome = await session.Connection.QuerySingleOrDefaultAsync<Outcome>(session.Command(IssueSql, new
        {
            command.MemberId,
            command.CampaignId,
            Now = now,
        }, ct)) ?? throw CouponErrors.CampaignNotFoundFor(command.CampaignId);

        // 3. Refusals, the campaign's state before the member's: closed, sold out, then already issued (seen before
        //    locking, or a concurrent claim of the same member that committed first).
        if (!outcome.Open)
        {
            throw NotIssuable(command.CampaignId, outcome.StartsAt, outcome.EndsAt, now);
        }

        if (!outcome.HasLeft)
        {
            soldOut.Remember(command.CampaignId, generation, outcome.EndsAt);
            throw SoldOut(command.CampaignId);
        }

        if (outcome.Id is not { } couponId)
        {
            throw AlreadyIssued(command.CampaignId);
        }

        // 4. This claim took the last coupon: the claims behind it need not reach the database.
        if (outcome.SoldOutNow == true)
        {
            soldOut.Remember(command.CampaignId, generation, outcome.EndsAt);
        }

        CommerceTelemetry.RecordCouponIssued(command.CampaignId);
        return new CouponResponse(couponId, outcome.CampaignId!.Value, outcome.Name!, CouponTerms.Available, outcome.DiscountType!,
            outcome.DiscountValue!.Value, outcome.MaxDiscount, outcome.Target!, outcome.ProductId, outcome.MinOrderAmount,
            outcome.IssuedAt!.Value, outcome.ExpiresAt!.Value, null, null);
    }

    private static AppException NotIssuable(long campaignId, DateTimeOffset startsAt, DateTimeOffset endsAt, DateTimeOffset now) =>
        AppException.Unprocessable(CouponErrors.CouponNotIssuable, now < startsAt
                ? "This campaign does not issue coupons yet: its issue window has not opened."
                : "This campaign no longer issues coupons: its issue window has closed.")
            .With("campaignId", campaignId).With("startsAt", startsAt).With("endsAt", endsAt);

    private static AppException SoldOut(long campaignId) =>
        AppException.Conflict(CouponErrors.CouponSoldOut, "Every coupon of this campaign has been issued.").With("campaignId", campaignId);

    private static AppException AlreadyIssued(long campaignId) =>
        AppException.Conflict(CouponErrors.CouponAlreadyIssued, "You already have this campaign's coupon: one per member.").With("campaignId", campaignId);

    /// <summary>The claim's result; the campaign's columns are null when the check refused before locking.</summary>
    private sealed record Outcome(
        bool Open,
        bool HasLeft,
        DateTimeOffset StartsAt,
        DateTimeOffset EndsAt,
        bool? SoldOutNow,
        long? Id,
        long? CampaignId,
        string? Name,
        string? DiscountType,
        long? DiscountValue,
        long? MaxDiscount,
        string? Target,
        long? ProductId,
        long? MinOrderAmount,
        DateTimeOffset? IssuedAt,
        DateTimeOffset? ExpiresAt);
}

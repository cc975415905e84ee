using Commerce.BuildingBlocks.Errors;
using Npgsql;

namespace Commerce.Modules.Coupons.Contracts;

/// <summary>
/// Issued coupons as the order flows redeem them. The database methods run on the caller's connection and
/// transaction (the DbSession of the current command) and lock issued-coupon rows with FOR UPDATE in
/// ascending id order: step 2 of the global lock order (after the order row, before products and wallet).
/// The discount methods are pure.
/// </summary>
public interface ICouponRedemption
{
    /// <summary>
    /// Locks the member's issued-coupon rows with these ids (FOR UPDATE, ascending id; not their campaigns) and returns
    /// them. Ids that do not exist or belong to another member are absent from the result (the caller reports them as
    /// COUPON_NOT_USABLE). No round trip for an empty list.
    /// </summary>
    Task<IReadOnlyList<IssuedCoupon>> LockAsync(long memberId, IReadOnlyCollection<long> issuedCouponIds, CancellationToken ct);

    /// <summary>
    /// Locks the member's issued-coupon rows that are AVAILABLE and not expired at <paramref name="now"/> (FOR UPDATE,
    /// ascending id; not their campaigns) and returns them.
    /// </summary>
    Task<IReadOnlyList<IssuedCoupon>> LockUsableAsync(long memberId, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// <see cref="LockAsync"/> (a non-empty list) or, for null ids, <see cref="LockUsableAsync"/>, as a statement for the
    /// caller's batch (DbSession.Batch), so the lock shares a round trip with other statements; its rows are
    /// <see cref="IssuedCoupon"/>s in ascending id order.
    /// </summary>
    NpgsqlBatchCommand Lock(long memberId, IReadOnlyCollection<long>? issuedCouponIds, DateTimeOffset now);

    /// <summary>
    /// Applies exactly these coupons to the basket: at most one PRODUCT coupon per line (on that line), at most
    /// one ORDER coupon (on the total after product discounts), minimum amounts and caps respected, never below
    /// zero. Throws 422 COUPON_NOT_USABLE (with "couponId") for the first coupon that is not AVAILABLE, expired,
    /// not applicable to the basket, or clashes with another chosen coupon.
    /// </summary>
    Discount Apply(IReadOnlyList<BasketLine> lines, IReadOnlyList<IssuedCoupon> coupons, DateTimeOffset now);

    /// <summary>The combination of <paramref name="candidates"/> with the largest total discount (none when nothing applies).</summary>
    Discount ChooseBest(IReadOnlyList<BasketLine> lines, IReadOnlyList<IssuedCoupon> candidates, DateTimeOffset now);

    /// <summary>
    /// Marks the coupons USED by the order: writes rows the caller already locked with <see cref="LockAsync"/> or
    /// <see cref="LockUsableAsync"/>, so it takes no new lock. They must be AVAILABLE and unexpired (422 COUPON_NOT_USABLE otherwise).
    /// </summary>
    Task MarkUsedAsync(IReadOnlyCollection<long> issuedCouponIds, long orderId, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// <see cref="MarkUsedAsync"/> as a statement to send with the COMMIT (DbSession.BeforeCommit): a coupon it cannot
    /// mark raises 422 COUPON_NOT_USABLE in the database (DatabaseRefusal, SQLSTATE CM422), and the server skips the rest
    /// of the batch, COMMIT included. Returns no row.
    /// </summary>
    NpgsqlBatchCommand MarkUsedOrRaise(IReadOnlyCollection<long> issuedCouponIds, long orderId, DateTimeOffset now);

    /// <summary>Gives the order's coupons back (USED by this order → AVAILABLE). Idempotent; expiry still applies when read.</summary>
    Task RestoreAsync(IReadOnlyCollection<long> issuedCouponIds, long orderId, CancellationToken ct);
}

/// <summary>One member's copy of a campaign's coupon, with the campaign's discount terms.</summary>
public sealed record IssuedCoupon(
    long Id,
    long MemberId,
    long CampaignId,
    string Name,
    string Status,
    string DiscountType,
    long DiscountValue,
    long? MaxDiscount,
    string Target,
    long? ProductId,
    long? MinOrderAmount,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt);

/// <summary>A basket line at the price it will be sold at.</summary>
public sealed record BasketLine(long ProductId, int Quantity, long UnitPrice)
{
    public long Amount => UnitPrice * Quantity;
}

/// <summary>The outcome of applying coupons: per-line discounts, the order-level discount, and which coupons were used.</summary>
public sealed record Discount(IReadOnlyList<LineDiscount> Lines, long OrderDiscount, long? OrderCouponId, IReadOnlyList<long> AppliedCouponIds)
{
    public long Total => Lines.Sum(l => l.Amount) + OrderDiscount;

    public static Discount None(IReadOnlyList<BasketLine> lines) =>
        new(lines.Select(l => new LineDiscount(l.ProductId, 0, null)).ToList(), 0, null, []);
}

public sealed record LineDiscount(long ProductId, long Amount, long? CouponId);

public static class CouponErrors
{
    public const string CouponNotUsable = "COUPON_NOT_USABLE";
    public const string CouponSoldOut = "COUPON_SOLD_OUT";
    public const string CouponAlreadyIssued = "COUPON_ALREADY_ISSUED";
    public const string CouponNotIssuable = "COUPON_NOT_ISSUABLE";
    public const string CampaignNotFound = "CAMPAIGN_NOT_FOUND";
    public const string QuantityBelowIssued = "QUANTITY_BELOW_ISSUED";

    internal static AppException CampaignNotFoundFor(long campaignId) =>
        AppException.NotFound(CampaignNotFound, "There is no coupon campaign with this id.").With("campaignId", campaignId);
}

public static class CouponTerms
{
    public const string Fixed = "FIXED";
    public const string Percent = "PERCENT";
    public const string TargetOrder = "ORDER";
    public const string TargetProduct = "PRODUCT";
    public const string Available = "AVAILABLE";
    public const string Used = "USED";
    public const string Expired = "EXPIRED";
}

namespace Commerce.Modules.Coupons;

/// <summary>A campaign as the API shows it: its terms, its window, and how many coupons are left.</summary>
public sealed record CampaignResponse(
    long Id,
    string Name,
    string DiscountType,
    long DiscountValue,
    long? MaxDiscount,
    string Target,
    long? ProductId,
    long? MinOrderAmount,
    int TotalQuantity,
    int IssuedCount,
    int Remaining,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    DateTimeOffset? ValidUntil,
    int? ValidDays,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>A member's issued coupon with its campaign's discount terms. Status is AVAILABLE, USED or EXPIRED (evaluated now).</summary>
public sealed record CouponResponse(
    long Id,
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
    DateTimeOffset ExpiresAt,
    DateTimeOffset? UsedAt,
    long? OrderId);

/// <summary>Column lists in the order of the response records' constructors (Dapper maps them by position and name).</summary>
internal static class CouponsSql
{
    public const string CampaignColumns = """
        id, name, discount_type, discount_value, max_discount, target, product_id, min_order_amount,
        total_quantity, issued_count, total_quantity - issued_count AS remaining,
        starts_at, ends_at, valid_until, valid_days, created_at, updated_at
        """;

    /// <summary>Issued coupon <c>i</c> joined with campaign <c>c</c>; needs the <c>@Now</c> parameter for EXPIRED.</summary>
    public const string CouponColumns = """
        i.id, i.campaign_id, c.name,
        CASE WHEN i.status = 'AVAILABLE' AND i.expires_at <= @Now THEN 'EXPIRED' ELSE i.status END AS status,
        c.discount_type, c.discount_value, c.max_discount, c.target, c.product_id, c.min_order_amount,
        i.issued_at, i.expires_at, i.used_at, i.order_id
        """;
}

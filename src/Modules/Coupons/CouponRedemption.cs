using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Coupons.Contracts;
using Dapper;
using Npgsql;

namespace Commerce.Modules.Coupons;

/// <summary>
/// <see cref="ICouponRedemption"/> on the caller's DbSession transaction. Only issued-coupon rows are locked
/// (FOR UPDATE OF i): the campaign rows they join stay free for IssueCoupon. Rows are locked in ascending id
/// order (the lock sits above the sort), step 2 of the global lock order.
/// </summary>
internal sealed class CouponRedemption(DbSession session) : ICouponRedemption
{
    internal const string Columns = """
        i.id, i.member_id, i.campaign_id, c.name, i.status, c.discount_type, c.discount_value, c.max_discount,
        c.target, c.product_id, c.min_order_amount, i.issued_at, i.expires_at
        """;

    private const string LockSql = $"""
        SELECT {Columns}
        FROM coupons.issued_coupons i JOIN coupons.campaigns c ON c.id = i.campaign_id
        WHERE i.member_id = @MemberId AND i.id = ANY(@Ids)
        ORDER BY i.id
        FOR UPDATE OF i
        """;

    private const string LockUsableSql = $"""
        SELECT {Columns}
        FROM coupons.issued_coupons i JOIN coupons.campaigns c ON c.id = i.campaign_id
        WHERE i.member_id = @MemberId AND i.status = 'AVAILABLE' AND i.expires_at > @Now
        ORDER BY i.id
        FOR UPDATE OF i
        """;

    // The caller holds the locks; the conditions make a coupon that is not usable any more stay untouched,
    // and the returned ids show which.
    private const string MarkUsedSql = """
        UPDATE coupons.issued_coupons SET status = 'USED', order_id = @OrderId, used_at = @Now
        WHERE id = ANY(@Ids) AND status = 'AVAILABLE' AND expires_at > @Now
        RETURNING id
        """;

    // The same, refusing instead of answering (migration 0011): the first id, ascending, that was not marked.
    private const string MarkUsedOrRaiseSql = """
        WITH marked AS (
            UPDATE coupons.issued_coupons SET status = 'USED', order_id = @OrderId, used_at = @Now
            WHERE id = ANY(@Ids) AND status = 'AVAILABLE' AND expires_at > @Now
            RETURNING id
        )
        SELECT coupons.raise_coupon_not_usable(min(i.id))
        FROM unnest(@Ids) AS i(id)
        WHERE i.id NOT IN (SELECT id FROM marked)
        HAVING count(*) > 0
        """;

    // A compensation runs in its own transaction, so it takes its own locks, in id order; only coupons this order
    // used come back, which makes a second run change nothing.
    private const string RestoreSql = """
        WITH locked AS (
            SELECT id FROM coupons.issued_coupons WHERE id = ANY(@Ids) ORDER BY id FOR UPDATE
        )
        UPDATE coupons.issued_coupons i SET status = 'AVAILABLE', order_id = NULL, used_at = NULL
        FROM locked
        WHERE i.id = locked.id AND i.status = 'USED' AND i.order_id = @OrderId
        """;

    public async Task<IReadOnlyList<IssuedCoupon>> LockAsync(long memberId, IReadOnlyCollection<long> issuedCouponIds, CancellationToken ct)
    {
        if (issuedCouponIds.Count == 0)
        {
            return [];
        }

        return (await session.Connection.QueryAsync<IssuedCoupon>(session.Command(LockSql,
            new { MemberId = memberId, Ids = issuedCouponIds.Distinct().ToArray() }, ct))).AsList();
    }

    public async Task<IReadOnlyList<IssuedCoupon>> LockUsableAsync(long memberId, DateTimeOffset now, CancellationToken ct) =>
        (await session.Connection.QueryAsync<IssuedCoupon>(session.Command(LockUsableSql, new { MemberId = memberId, Now = now }, ct))).AsList();

    public NpgsqlBatchCommand Lock(long memberId, IReadOnlyCollection<long>? issuedCouponIds, DateTimeOffset now)
    {
        if (issuedCouponIds is null)
        {
            return new NpgsqlBatchCommand(LockUsableSql)
            {
                Parameters = { new NpgsqlParameter<long>("MemberId", memberId), new NpgsqlParameter<DateTimeOffset>("Now", now.ToUniversalTime()) },
            };
        }

        ArgumentOutOfRangeException.ThrowIfZero(issuedCouponIds.Count);
        return new NpgsqlBatchCommand(LockSql)
        {
            Parameters = { new NpgsqlParameter<long>("MemberId", memberId), new NpgsqlParameter<long[]>("Ids", issuedCouponIds.Distinct().ToArray()) },
        };
    }

    public Discount Apply(IReadOnlyList<BasketLine> lines, IReadOnlyList<IssuedCoupon> coupons, DateTimeOffset now) =>
        DiscountRules.Apply(lines, coupons, now);

    public Discount ChooseBest(IReadOnlyList<BasketLine> lines, IReadOnlyList<IssuedCoupon> candidates, DateTimeOffset now) =>
        DiscountRules.ChooseBest(lines, candidates, now);

    public async Task MarkUsedAsync(IReadOnlyCollection<long> issuedCouponIds, long orderId, DateTimeOffset now, CancellationToken ct)
    {
        var ids = issuedCouponIds.Distinct().Order().ToArray();
        if (ids.Length == 0)
        {
            return;
        }

        var marked = (await session.Connection.QueryAsync<long>(session.Command(MarkUsedSql, new { Ids = ids, OrderId = orderId, Now = now }, ct))).ToHashSet();
        var missing = Array.Find(ids, id => !marked.Contains(id));
        if (missing != 0)
        {
            // Throwing rolls the caller's transaction back, including the coupons this call did mark.
            throw AppException.Unprocessable(CouponErrors.CouponNotUsable, $"Coupon {missing} cannot be used: it is not an available, unexpired coupon.")
                .With("couponId", missing);
        }
    }

    public NpgsqlBatchCommand MarkUsedOrRaise(IReadOnlyCollection<long> issuedCouponIds, long orderId, DateTimeOffset now)
    {
        var ids = issuedCouponIds.Distinct().Order().ToArray();
        ArgumentOutOfRangeException.ThrowIfZero(ids.Length);
        return new NpgsqlBatchCommand(MarkUsedOrRaiseSql)
        {
            Parameters =
            {
                new NpgsqlParameter<long[]>("Ids", ids),
                new NpgsqlParameter<long>("OrderId", orderId),
                new NpgsqlParameter<DateTimeOffset>("Now", now.ToUniversalTime()),
            },
        };
    }

    public async Task RestoreAsync(IReadOnlyCollection<long> issuedCouponIds, long orderId, CancellationToken ct)
    {
        if (issuedCouponIds.Count == 0)
        {
            return;
        }

        await session.Connection.ExecuteAsync(session.Command(RestoreSql, new { Ids = issuedCouponIds.Distinct().ToArray(), OrderId = orderId }, ct));
    }
}

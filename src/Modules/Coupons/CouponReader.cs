using Commerce.BuildingBlocks.Data;
using Commerce.Modules.Coupons.Contracts;
using Dapper;

namespace Commerce.Modules.Coupons;

internal sealed class CouponReader(DbSession session) : ICouponReader
{
    private const string ReadSql = $"""
        SELECT {CouponRedemption.Columns}
        FROM coupons.issued_coupons i JOIN coupons.campaigns c ON c.id = i.campaign_id
        WHERE i.member_id = @MemberId AND i.id = ANY(@Ids)
        ORDER BY i.id
        """;

    private const string ReadUsableSql = $"""
        SELECT {CouponRedemption.Columns}
        FROM coupons.issued_coupons i JOIN coupons.campaigns c ON c.id = i.campaign_id
        WHERE i.member_id = @MemberId AND i.status = 'AVAILABLE' AND i.expires_at > @Now
        ORDER BY i.id
        """;

    public async Task<IReadOnlyList<IssuedCoupon>> ReadAsync(long memberId, IReadOnlyCollection<long> issuedCouponIds, CancellationToken ct) =>
        issuedCouponIds.Count == 0
            ? []
            : (await session.Connection.QueryAsync<IssuedCoupon>(session.Command(ReadSql, new { MemberId = memberId, Ids = issuedCouponIds.Distinct().ToArray() }, ct))).AsList();

    public async Task<IReadOnlyList<IssuedCoupon>> ReadUsableAsync(long memberId, DateTimeOffset now, CancellationToken ct) =>
        (await session.Connection.QueryAsync<IssuedCoupon>(session.Command(ReadUsableSql, new { MemberId = memberId, Now = now }, ct))).AsList();
}

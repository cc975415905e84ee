using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Mediation;
using Commerce.Modules.Coupons.Contracts;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Coupons.Features.GetMyCoupons;

/// <summary>A member's coupons, newest first, optionally only those with one status (AVAILABLE, USED or EXPIRED, evaluated now).</summary>
public sealed record GetMyCoupons(long MemberId, string? Status, int Page, int PageSize) : IQuery<PagedList<CouponResponse>>;

internal sealed class GetMyCouponsValidator : AbstractValidator<GetMyCoupons>
{
    public GetMyCouponsValidator()
    {
        RuleFor(q => q.Status).Must(s => s is null or CouponTerms.Available or CouponTerms.Used or CouponTerms.Expired)
            .WithMessage($"The status must be {CouponTerms.Available}, {CouponTerms.Used} or {CouponTerms.Expired}.");
        this.ValidPaging(q => q.Page, q => q.PageSize);
    }
}

internal sealed class GetMyCouponsHandler(DbSession session, TimeProvider clock) : IRequestHandler<GetMyCoupons, PagedList<CouponResponse>>
{
    // EXPIRED is not stored: an AVAILABLE coupon past its expiry reads as EXPIRED.
    private const string Filter = """
        i.member_id = @MemberId AND (@Status::text IS NULL
            OR (@Status = 'USED' AND i.status = 'USED')
            OR (@Status = 'AVAILABLE' AND i.status = 'AVAILABLE' AND i.expires_at > @Now)
            OR (@Status = 'EXPIRED' AND i.status = 'AVAILABLE' AND i.expires_at <= @Now))
        """;

    // Served by issued_coupons_member_idx; the count comes in the same round trip.
    private const string Sql = $"""
        SELECT {CouponsSql.CouponColumns}
        FROM coupons.issued_coupons i JOIN coupons.campaigns c ON c.id = i.campaign_id
        WHERE {Filter}
        ORDER BY i.id DESC LIMIT @PageSize OFFSET @Offset;
        SELECT count(*) FROM coupons.issued_coupons i WHERE {Filter};
        """;

    public Task<PagedList<CouponResponse>> Handle(GetMyCoupons query, CancellationToken ct) =>
        Paging.ReadAsync<CouponResponse>(session, Sql, new { query.MemberId, query.Status, Now = clock.GetUtcNow() }, query.Page, query.PageSize, ct);
}

using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Coupons.Features.ListOpenCampaigns;

/// <summary>Campaigns a member can claim from right now: inside their issue window and not sold out.</summary>
public sealed record ListOpenCampaigns(int Page, int PageSize) : IQuery<PagedList<CampaignResponse>>;

internal sealed class ListOpenCampaignsValidator : AbstractValidator<ListOpenCampaigns>
{
    public ListOpenCampaignsValidator() => this.ValidPaging(q => q.Page, q => q.PageSize);
}

internal sealed class ListOpenCampaignsHandler(DbSession session, TimeProvider clock) : IRequestHandler<ListOpenCampaigns, PagedList<CampaignResponse>>
{
    private const string Open = "starts_at <= @Now AND @Now < ends_at AND issued_count < total_quantity";

    // Closing soonest first; the count comes in the same round trip.
    private const string Sql = $"""
        SELECT {CouponsSql.CampaignColumns}
        FROM coupons.campaigns WHERE {Open}
        ORDER BY ends_at, id LIMIT @PageSize OFFSET @Offset;
        SELECT count(*) FROM coupons.campaigns WHERE {Open};
        """;

    public Task<PagedList<CampaignResponse>> Handle(ListOpenCampaigns query, CancellationToken ct) =>
        Paging.ReadAsync<CampaignResponse>(session, Sql, new { Now = clock.GetUtcNow() }, query.Page, query.PageSize, ct);
}

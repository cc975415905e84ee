using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Commerce.Modules.Coupons.Contracts;
using Dapper;
using MediatR;

namespace Commerce.Modules.Coupons.Features.GetCampaign;

public sealed record GetCampaign(long CampaignId) : IQuery<CampaignResponse>;

internal sealed class GetCampaignHandler(DbSession session) : IRequestHandler<GetCampaign, CampaignResponse>
{
    private const string Sql = $"SELECT {CouponsSql.CampaignColumns} FROM coupons.campaigns WHERE id = @CampaignId";

    public async Task<CampaignResponse> Handle(GetCampaign query, CancellationToken ct) =>
        await session.Connection.QuerySingleOrDefaultAsync<CampaignResponse>(session.Command(Sql, query, ct))
        ?? throw CouponErrors.CampaignNotFoundFor(query.CampaignId);
}

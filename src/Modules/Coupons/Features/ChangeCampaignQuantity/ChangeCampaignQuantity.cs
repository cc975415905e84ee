using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Coupons.Features.CreateCampaign;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Coupons.Features.ChangeCampaignQuantity;

/// <summary>An admin raises or lowers how many coupons a campaign may issue; never below the number already issued.</summary>
public sealed record ChangeCampaignQuantity(long CampaignId, int TotalQuantity) : ICommand<CampaignResponse>;

internal sealed class ChangeCampaignQuantityValidator : AbstractValidator<ChangeCampaignQuantity>
{
    public ChangeCampaignQuantityValidator()
    {
        RuleFor(c => c.CampaignId).GreaterThan(0);
        // Zero is allowed: it closes a campaign that has not issued anything yet.
        RuleFor(c => c.TotalQuantity).InclusiveBetween(0, CreateCampaignValidator.MaxQuantity);
    }
}

internal sealed class ChangeCampaignQuantityHandler(DbSession session, SoldOutCampaigns soldOut, TimeProvider clock)
    : IRequestHandler<ChangeCampaignQuantity, CampaignResponse>
{
    // Takes the campaign row lock like IssueCoupon does, so the comparison with issued_count is exact.
    private const string UpdateSql = $"""
        UPDATE coupons.campaigns SET total_quantity = @TotalQuantity, updated_at = @Now
        WHERE id = @CampaignId AND issued_count <= @TotalQuantity
        RETURNING {CouponsSql.CampaignColumns}
        """;

    // Only after a refusal. issued_count never goes down, so the reason read here is still the reason.
    private const string IssuedSql = "SELECT issued_count FROM coupons.campaigns WHERE id = @CampaignId";

    public async Task<CampaignResponse> Handle(ChangeCampaignQuantity command, CancellationToken ct)
    {
        // 1. Change the quantity under the row lock, unless that would take it below the coupons already issued.
        var campaign = await session.Connection.QuerySingleOrDefaultAsync<CampaignResponse>(session.Command(UpdateSql,
            new { command.CampaignId, command.TotalQuantity, Now = clock.GetUtcNow() }, ct));
        if (campaign is null)
        {
            // 2. Tell a missing campaign from a quantity that is too low.
            var issued = await session.Connection.QuerySingleOrDefaultAsync<int?>(session.Command(IssuedSql, command, ct))
                ?? throw CouponErrors.CampaignNotFoundFor(command.CampaignId);
            throw AppException.Conflict(CouponErrors.QuantityBelowIssued,
                    $"This campaign already issued {issued} coupons; its total quantity cannot go below that.")
                .With("campaignId", command.CampaignId).With("issuedCount", issued);
        }

        // 3. A raised quantity may end a sell-out: this instance stops answering SOLD_OUT from memory once it is committed.
        session.AfterCommit(() => soldOut.Forget(command.CampaignId));
        return campaign;
    }
}

using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Coupons.Features.CreateCampaign;

internal static class CreateCampaignEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/admin/coupons", Handle)
        .RequireAuthorization(Policies.Admin)
        .WithTags("Admin")
        .WithSummary("Create a coupon campaign")
        .WithDescription("discountType FIXED (won) or PERCENT (1..100, optional maxDiscount cap in won); target ORDER or PRODUCT " +
                         "(with productId); optional minOrderAmount; totalQuantity; issue window startsAt..endsAt; validity " +
                         "validUntil (a date, not before endsAt) or validDays (after issue), exactly one.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);

    private static async Task<Created<CampaignResponse>> Handle(CreateCampaign body, IMediator mediator, CancellationToken ct)
    {
        var campaign = await mediator.Send(body, ct);
        return TypedResults.Created($"/api/coupons/{campaign.Id}", campaign);
    }
}

using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Coupons.Features.ChangeCampaignQuantity;

internal static class ChangeCampaignQuantityEndpoint
{
    public sealed record ChangeQuantityRequest(int TotalQuantity);

    public static void Map(IEndpointRouteBuilder app) => app
        .MapPut("/api/admin/coupons/{campaignId}/quantity", Handle)
        .RequireAuthorization(Policies.Admin)
        .WithTags("Admin")
        .WithSummary("Change a campaign's total quantity")
        .WithDescription("Raise or lower how many coupons the campaign may issue. Never below the number already issued (409 QUANTITY_BELOW_ISSUED). " +
                         "Raising the quantity of a sold-out campaign lets members claim again at once.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
            StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);

    private static async Task<Ok<CampaignResponse>> Handle(long campaignId, ChangeQuantityRequest body, IMediator mediator, CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new ChangeCampaignQuantity(campaignId, body.TotalQuantity), ct));
}

using Commerce.BuildingBlocks.Http;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Coupons.Features.GetCampaign;

internal static class GetCampaignEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapGet("/api/coupons/{campaignId}", Handle)
        .AllowAnonymous()
        .WithTags("Coupons")
        .WithSummary("One coupon campaign")
        .WithDescription("Its terms, issue window and the number of coupons left, whether or not it is open now.")
        .ProducesErrors(StatusCodes.Status404NotFound);

    private static async Task<Ok<CampaignResponse>> Handle(long campaignId, IMediator mediator, CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new GetCampaign(campaignId), ct));
}

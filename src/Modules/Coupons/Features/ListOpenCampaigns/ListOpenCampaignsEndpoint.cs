using Commerce.BuildingBlocks.Http;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Coupons.Features.ListOpenCampaigns;

internal static class ListOpenCampaignsEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapGet("/api/coupons", Handle)
        .AllowAnonymous()
        .WithTags("Coupons")
        .WithSummary("Coupon campaigns open for issue now")
        .WithDescription("Campaigns whose issue window contains the current time and that have coupons left (remaining), closing soonest first.")
        .ProducesErrors(StatusCodes.Status400BadRequest);

    private static async Task<Ok<PagedList<CampaignResponse>>> Handle(IMediator mediator, CancellationToken ct,
        int page = 1, int pageSize = Paging.DefaultPageSize) =>
        TypedResults.Ok(await mediator.Send(new ListOpenCampaigns(page, pageSize), ct));
}

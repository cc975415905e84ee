using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Coupons.Features.GetMyCoupons;

internal static class GetMyCouponsEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapGet("/api/me/coupons", Handle)
        .RequireAuthorization(Policies.Member)
        .WithTags("Coupons")
        .WithSummary("My coupons, newest first")
        .WithDescription("Each issued coupon with its discount terms and expiry. status=AVAILABLE|USED|EXPIRED filters; " +
                         "an unused coupon past its expiry reads as EXPIRED.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);

    private static async Task<Ok<PagedList<CouponResponse>>> Handle(ClaimsPrincipal user, IMediator mediator, CancellationToken ct,
        string? status = null, int page = 1, int pageSize = Paging.DefaultPageSize) =>
        TypedResults.Ok(await mediator.Send(new GetMyCoupons(user.MemberId(), status, page, pageSize), ct));
}

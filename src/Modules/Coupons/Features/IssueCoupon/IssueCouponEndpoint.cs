using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Coupons.Features.IssueCoupon;

internal static class IssueCouponEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/coupons/{campaignId}/issue", Handle)
        .RequireAuthorization(Policies.Member)
        .RequireRateLimiting(RateLimitPolicies.IssueCoupon)
        .WithTags("Coupons")
        .WithSummary("Claim a campaign's coupon (first come, first served)")
        .WithDescription("Issues one coupon of the campaign to the signed-in member. 409 COUPON_SOLD_OUT when none is left, " +
                         "409 COUPON_ALREADY_ISSUED for a second claim (one per member), 422 COUPON_NOT_ISSUABLE outside the issue window, " +
                         "404 CAMPAIGN_NOT_FOUND. A retry is safe: it can never issue a second coupon.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
            StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity, StatusCodes.Status429TooManyRequests);

    private static async Task<Created<CouponResponse>> Handle(long campaignId, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        TypedResults.Created("/api/me/coupons", await mediator.Send(new IssueCoupon(user.MemberId(), campaignId), ct));
}

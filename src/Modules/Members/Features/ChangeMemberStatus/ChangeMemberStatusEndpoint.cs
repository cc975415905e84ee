using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Members.Features.ChangeMemberStatus;

internal static class ChangeMemberStatusEndpoint
{
    public sealed record ChangeMemberStatusRequest(string Status);

    public static void Map(IEndpointRouteBuilder app) => app
        .MapPut("/api/admin/members/{memberId}/status", Handle)
        .RequireAuthorization(Policies.Admin)
        .WithTags("Admin")
        .WithSummary("Enable or disable a member")
        .WithDescription("Status ACTIVE or DISABLED. A disabled member is refused with 403 NOT_A_MEMBER on every member endpoint.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);

    private static async Task<Ok<MemberResponse>> Handle(long memberId, ChangeMemberStatusRequest body, ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new ChangeMemberStatus(user.MemberId(), memberId, body.Status), ct));
}

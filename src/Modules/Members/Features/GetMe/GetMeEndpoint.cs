using System.Security.Claims;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Members.Features.GetMe;

internal static class GetMeEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapGet("/api/me", Handle)
        .RequireAuthorization(Policies.Member)
        .WithTags("Members")
        .WithSummary("The signed-in member")
        .WithDescription("The account behind the bearer token: name, email, role and status.");

    private static async Task<Ok<MemberResponse>> Handle(ClaimsPrincipal user, IMediator mediator, CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new GetMe(user.MemberId()), ct));
}

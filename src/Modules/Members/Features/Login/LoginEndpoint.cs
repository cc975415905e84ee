using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using MediatR;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Members.Features.Login;

internal static class LoginEndpoint
{
    public sealed record LoginRequest(string Email, string Password);

    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/auth/token", Handle)
        .AllowAnonymous()
        .WithTags("Members")
        .WithSummary("Log in")
        .WithDescription("Exchanges email and password for a bearer token. Send it as 'Authorization: Bearer <accessToken>'.")
        .Produces<AccessTokenResponse>()
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);

    private static async Task<SignInHttpResult> Handle(LoginRequest body, IMediator mediator, CancellationToken ct)
    {
        var result = await mediator.Send(new Login(body.Email, body.Password), ct);
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, result.MemberId.ToString()), new Claim(ClaimTypes.Role, result.Role)],
            BearerTokenDefaults.AuthenticationScheme);
        // The bearer-token handler writes the AccessTokenResponse body itself.
        return TypedResults.SignIn(new ClaimsPrincipal(identity), authenticationScheme: BearerTokenDefaults.AuthenticationScheme);
    }
}

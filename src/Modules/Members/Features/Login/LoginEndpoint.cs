using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using Commerce.Modules.Members.Auth;
using MediatR;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Members.Features.Login;

internal static class LoginEndpoint
{
    public sealed record LoginRequest(string Email, string Password);

    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/auth/token", Handle)
        .AllowAnonymous()
        .RequireRateLimiting(RateLimitPolicies.Login)
        .WithTags("Members")
        .WithSummary("Log in")
        .WithDescription("Exchanges email and password for a bearer token. Send it as 'Authorization: Bearer <accessToken>'; renew it before it expires " +
                         "with the refreshToken (POST /api/auth/refresh). " +
                         "Five wrong passwords for one email from one address lock that email for that address for five minutes " +
                         "(429 LOGIN_LOCKED with Retry-After); attempts are also rate limited per address and per email (429 RATE_LIMITED).")
        .Produces<AccessTokenResponse>()
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
            StatusCodes.Status429TooManyRequests);

    private static async Task<SignInHttpResult> Handle(LoginRequest body, HttpContext http, [FromServices] LoginEmailLimiter limiter, IMediator mediator, CancellationToken ct)
    {
        limiter.Acquire(body.Email);
        var result = await mediator.Send(new Login(body.Email, body.Password, http.Connection.RemoteIpAddress?.ToString()), ct);
        // A new login session; its refresh token is generation 0 (POST /api/auth/refresh). The bearer-token handler writes
        // the AccessTokenResponse body itself.
        return TypedResults.SignIn(MemberTokens.Principal(result.MemberId, result.Role, Guid.NewGuid(), generation: 0),
            authenticationScheme: BearerTokenDefaults.AuthenticationScheme);
    }
}

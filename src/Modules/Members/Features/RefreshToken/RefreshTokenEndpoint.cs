using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Http;
using Commerce.Modules.Members.Auth;
using MediatR;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Members.Features.RefreshToken;

internal static class RefreshTokenEndpoint
{
    public sealed record RefreshRequest(string RefreshToken);

    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/auth/refresh", Handle)
        .AllowAnonymous()
        .WithTags("Members")
        .WithSummary("Exchange a refresh token for new tokens")
        .WithDescription("Sends the refreshToken of the last login or refresh; answers like a login, with a new access token and a new refresh " +
                         "token. Each refresh token works once: presenting one that was already exchanged revokes every token of that login " +
                         "session (a copy is in someone else's hands). 401 INVALID_REFRESH_TOKEN for an expired, tampered, used or revoked " +
                         "token; 403 NOT_A_MEMBER for a disabled account. Refresh tokens last Commerce:Auth:RefreshTokenLifetime (14 days).")
        .Produces<AccessTokenResponse>()
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);

    private static async Task<SignInHttpResult> Handle(RefreshRequest body, IOptionsMonitor<BearerTokenOptions> bearer, TimeProvider clock,
        IMediator mediator, CancellationToken ct)
    {
        var options = bearer.Get(BearerTokenDefaults.AuthenticationScheme);
        var now = clock.GetUtcNow();
        // Decryption fails (null) for anything not issued by this key ring or changed since: forged, tampered, truncated.
        var ticket = options.RefreshTokenProtector.Unprotect(body.RefreshToken);
        if (ticket?.Properties.ExpiresUtc is not { } expires || !MemberTokens.TryRead(ticket.Principal, out var memberId, out var session, out var generation))
        {
            throw Invalid("The refresh token is not valid.");
        }

        if (expires <= now)
        {
            throw Invalid("The refresh token has expired; log in again.");
        }

        var refreshed = await mediator.Send(new RefreshToken(memberId, session, generation, now + options.RefreshTokenExpiration), ct)
                        ?? throw Invalid("The refresh token was already used; every token of this login is revoked. Log in again.");
        // The bearer-token handler writes the AccessTokenResponse body itself, as for a login.
        return TypedResults.SignIn(MemberTokens.Principal(refreshed.MemberId, refreshed.Role, refreshed.SessionId, refreshed.Generation),
            authenticationScheme: BearerTokenDefaults.AuthenticationScheme);
    }

    private static AppException Invalid(string detail) => AppException.Unauthorized(MemberErrors.InvalidRefreshToken, detail);
}

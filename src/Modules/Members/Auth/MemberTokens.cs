using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.BearerToken;

namespace Commerce.Modules.Members.Auth;

/// <summary>
/// The identity the bearer-token handler turns into an access token and a refresh token (both encrypted and signed
/// with the host's key ring). Besides the member and role, it carries the login session and the refresh generation,
/// which <c>POST /api/auth/refresh</c> uses to let each refresh token be exchanged once.
/// </summary>
internal static class MemberTokens
{
    public const string SessionClaim = "commerce:session";
    public const string GenerationClaim = "commerce:generation";

    public static ClaimsPrincipal Principal(long memberId, string role, Guid session, int generation) => new(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, memberId.ToString(CultureInfo.InvariantCulture)),
            new Claim(ClaimTypes.Role, role),
            new Claim(SessionClaim, session.ToString("N")),
            new Claim(GenerationClaim, generation.ToString(CultureInfo.InvariantCulture)),
        ],
        BearerTokenDefaults.AuthenticationScheme));

    public static bool TryRead(ClaimsPrincipal principal, out long memberId, out Guid session, out int generation)
    {
        session = Guid.Empty;
        generation = 0;
        return long.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), CultureInfo.InvariantCulture, out memberId)
               & Guid.TryParseExact(principal.FindFirstValue(SessionClaim), "N", out session)
               & int.TryParse(principal.FindFirstValue(GenerationClaim), CultureInfo.InvariantCulture, out generation);
    }
}

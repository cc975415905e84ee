using Commerce.BuildingBlocks.Errors;
using Commerce.Host.Errors;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Commerce.Host.Auth;

/// <summary>Answers authentication and authorization failures with problem details: 401 UNAUTHENTICATED,
/// 403 NOT_A_MEMBER (disabled or deleted account behind a valid token) or 403 FORBIDDEN (not an admin).</summary>
internal sealed class AuthorizationProblems(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged)
        {
            await context.ChallengeAsync();
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Write(context, 401, ErrorCodes.Unauthenticated, "Sign in and send the token as 'Authorization: Bearer <token>'.");
        }
        else if (authorizeResult.Forbidden)
        {
            await context.ForbidAsync();
            var notAMember = authorizeResult.AuthorizationFailure?.FailureReasons.Any(r => r.Message == ErrorCodes.NotAMember) == true;
            await (notAMember
                ? Write(context, 403, ErrorCodes.NotAMember, "The account behind this token is not an active member.")
                : Write(context, 403, ErrorCodes.Forbidden, "This operation is not allowed for this account."));
        }
        else
        {
            await _default.HandleAsync(next, context, policy, authorizeResult);
        }
    }

    private Task Write(HttpContext context, int status, string code, string detail)
    {
        context.Response.StatusCode = status;
        return problems.WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = ProblemMapper.Problem(status, code, detail) }).AsTask();
    }
}

using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Members.Features.SignUp;

internal static class SignUpEndpoint
{
    public sealed record SignUpRequest(string Name, string Email, string Password);

    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/members", Handle)
        .AllowAnonymous()
        .RequireRateLimiting(RateLimitPolicies.SignUp)
        .WithTags("Members")
        .WithSummary("Sign up")
        .WithDescription("Creates a member account. The email must be unused (case-insensitive); the password needs at least 10 characters with letters and digits.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict, StatusCodes.Status429TooManyRequests);

    private static async Task<Created<MemberResponse>> Handle(SignUpRequest body, IMediator mediator, CancellationToken ct)
    {
        var member = await mediator.Send(new SignUp(body.Name, body.Email, body.Password), ct);
        return TypedResults.Created("/api/me", member);
    }
}

using System.Security.Claims;

namespace Commerce.BuildingBlocks.Security;

/// <summary>Authorization policies every module's endpoints use; the Members module implements the checks.</summary>
public static class Policies
{
    /// <summary>A signed-in member whose account exists and is active (Flow B's member check).</summary>
    public const string Member = "member";

    /// <summary>An active member with the admin role.</summary>
    public const string Admin = "admin";
}

public static class Roles
{
    public const string Member = "member";
    public const string Admin = "admin";
}

public static class ClaimsPrincipalExtensions
{
    public static long MemberId(this ClaimsPrincipal user) =>
        long.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id)
            ? id
            : throw new InvalidOperationException("The principal carries no member id; the endpoint must require the member policy.");
}

using System.Security.Claims;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Security;
using Dapper;
using Microsoft.AspNetCore.Authorization;
using Npgsql;

namespace Commerce.Modules.Members.Auth;

/// <summary>The token is valid; is the account behind it still an active member (and an admin, when required)?</summary>
internal sealed class ActiveMemberRequirement(bool adminOnly) : IAuthorizationRequirement
{
    public bool AdminOnly { get; } = adminOnly;
}

/// <summary>
/// Checks the account on every request rather than trusting the token's claims, so disabling a member
/// or taking a role away takes effect immediately, on every instance.
/// </summary>
internal sealed class ActiveMemberHandler(NpgsqlDataSource dataSource) : AuthorizationHandler<ActiveMemberRequirement>
{
    private const string Sql = "SELECT role, status FROM members.members WHERE id = @Id";

    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ActiveMemberRequirement requirement)
    {
        if (!long.TryParse(context.User.FindFirstValue(ClaimTypes.NameIdentifier), out var id))
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync();
        var account = await connection.QuerySingleOrDefaultAsync<Account>(Sql, new { Id = id });
        if (account is not { Status: MemberStatus.Active } active)
        {
            context.Fail(new AuthorizationFailureReason(this, ErrorCodes.NotAMember));
        }
        else if (requirement.AdminOnly && active.Role != Roles.Admin)
        {
            context.Fail(new AuthorizationFailureReason(this, ErrorCodes.Forbidden));
        }
        else
        {
            context.Succeed(requirement);
        }
    }

    private sealed record Account(string Role, string Status);
}

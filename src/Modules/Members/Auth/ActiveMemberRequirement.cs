using System.Security.Claims;
using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Security;
using Dapper;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Members.Auth;

/// <summary>The token is valid; is the account behind it still an active member (and an admin, when required)?</summary>
internal sealed class ActiveMemberRequirement(bool adminOnly) : IAuthorizationRequirement
{
    public bool AdminOnly { get; } = adminOnly;
}

/// <summary><c>Commerce:Members:StatusCache</c>: how long an instance may trust an account's status and role it read.</summary>
public sealed class MemberStatusCacheOptions
{
    public const string Section = "Commerce:Members:StatusCache";

    /// <summary>Zero reads the account on every request. Two seconds: a disabled member (or a role taken away) is felt on
    /// every instance within two seconds, and at once on the instance that made the change.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Accounts remembered at most (an entry is a few dozen bytes).</summary>
    public int MaxEntries { get; set; } = 100_000;

    internal bool IsValid => Duration >= TimeSpan.Zero && MaxEntries > 0;
}

/// <summary>
/// Accounts' status and role as the member check last read them, for <see cref="MemberStatusCacheOptions.Duration"/>:
/// without it every authenticated request spent a pooled connection and a round trip on the check. Bounded in size.
/// </summary>
internal sealed class MemberStatusCache(IOptions<MemberStatusCacheOptions> options) : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = options.Value.MaxEntries });

    public bool TryGet(long memberId, out MemberAccess? access) => _cache.TryGetValue(memberId, out access);

    public void Remember(long memberId, MemberAccess? access)
    {
        var duration = options.Value.Duration;
        if (duration > TimeSpan.Zero)
        {
            _cache.Set(memberId, access, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = duration });
        }
    }

    /// <summary>After a change to the account commits: this instance reads it afresh on the next request.</summary>
    public void Forget(long memberId) => _cache.Remove(memberId);

    public void Dispose() => _cache.Dispose();
}

internal sealed record MemberAccess(string Role, string Status);

/// <summary>
/// Checks the account rather than trusting the token's claims, so disabling a member or taking a role away takes effect
/// (within the status cache's duration on other instances, at once on this one).
/// </summary>
internal sealed class ActiveMemberHandler(DbSession session, MemberStatusCache cache) : AuthorizationHandler<ActiveMemberRequirement>
{
    private const string Sql = "SELECT role, status FROM members.members WHERE id = @Id";

    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, ActiveMemberRequirement requirement)
    {
        if (!long.TryParse(context.User.FindFirstValue(ClaimTypes.NameIdentifier), out var id))
        {
            return;
        }

        if (!cache.TryGet(id, out var account))
        {
            // The request's own session, before its endpoint opens it: one pooled connection for one statement, back
            // in the pool before the endpoint runs, as a raw connection from the same pool would be.
            account = await session.RunAsync(s => s.Connection.QuerySingleOrDefaultAsync<MemberAccess>(s.Command(Sql, new { Id = id }, CancellationToken.None)),
                CancellationToken.None);
            cache.Remember(id, account);
        }

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
}

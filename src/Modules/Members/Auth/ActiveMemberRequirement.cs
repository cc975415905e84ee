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

    /// <summary>While the instance does not listen for changes (<see cref="MemberAccessListener"/>: before it first
    /// connects, after its connection dropped, while the database is down): a disabled member (or a role taken away) is
    /// felt on every instance within this long, and at once on the instance that made the change. Zero reads the account
    /// on every request, listening or not.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>While the instance listens: every change is announced and forgets the account at once, so what was read
    /// stays trusted for long. Not forever, should a notification ever go missing unnoticed; memory is bounded by
    /// <see cref="MaxEntries"/>.</summary>
    public TimeSpan DurationWhileListening { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Accounts remembered at most (an entry is a few dozen bytes).</summary>
    public int MaxEntries { get; set; } = 100_000;

    internal bool IsValid => Duration >= TimeSpan.Zero && DurationWhileListening >= Duration && MaxEntries > 0;
}

/// <summary>
/// Accounts' status and role as the member check last read them: without it every authenticated request spent a pooled
/// connection and a round trip on the check. Trusted for <see cref="MemberStatusCacheOptions.DurationWhileListening"/>
/// while <see cref="MemberAccessListener"/> hears every change, otherwise for <see cref="MemberStatusCacheOptions.Duration"/>.
/// Bounded in size.
/// </summary>
internal sealed class MemberStatusCache(IOptions<MemberStatusCacheOptions> options) : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = options.Value.MaxEntries });

    // Counts every Forget and every change of the listening state. A read that began before a change was announced may
    // hold the old value, and remembering it after the Forget would keep it for minutes: the reader takes this count
    // before it reads, and Remember trusts the result for long only if the count has not moved since. The lock makes
    // that check and the entry's write one step, so a Forget cannot fall between them.
    private readonly Lock _gate = new();
    private long _changes;
    private bool _listening;

    public bool IsListening
    {
        get
        {
            lock (_gate)
            {
                return _listening;
            }
        }
    }

    /// <summary>Taken before the account is read, and handed to <see cref="Remember"/>.</summary>
    public long Changes => Interlocked.Read(ref _changes);

    public bool TryGet(long memberId, out MemberAccess? access) => _cache.TryGetValue(memberId, out access);

    public void Remember(long memberId, MemberAccess? access, long changesBeforeRead)
    {
        var settings = options.Value;
        if (settings.Duration <= TimeSpan.Zero)
        {
            return;
        }

        lock (_gate)
        {
            // A missing account only briefly: creating one announces nothing.
            var trusted = _listening && access is not null && _changes == changesBeforeRead;
            var duration = trusted ? settings.DurationWhileListening : settings.Duration;
            _cache.Set(memberId, access, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = duration });
        }
    }

    /// <summary>After a change to the account commits: this instance reads it afresh on the next request.</summary>
    public void Forget(long memberId)
    {
        lock (_gate)
        {
            Interlocked.Increment(ref _changes);
            _cache.Remove(memberId);
        }
    }

    /// <summary>
    /// Listening started or stopped. Either way nothing read so far is trusted any more: changes made while no one listened
    /// were missed, and what was trusted for long must not outlive the notifications that made that safe.
    /// </summary>
    public void Listening(bool listening)
    {
        lock (_gate)
        {
            _listening = listening;
            Interlocked.Increment(ref _changes);
            _cache.Clear();
        }
    }

    public void Dispose() => _cache.Dispose();
}

internal sealed record MemberAccess(string Role, string Status);

/// <summary>
/// Checks the account rather than trusting the token's claims, so disabling a member or taking a role away takes effect
/// (at once on this instance; on the others as soon as the change's notification arrives, or within the status cache's
/// short duration while they do not listen).
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
            var changes = cache.Changes;
            // The request's own session, before its endpoint opens it: one pooled connection for one statement, back
            // in the pool before the endpoint runs, as a raw connection from the same pool would be.
            account = await session.RunAsync(s => s.Connection.QuerySingleOrDefaultAsync<MemberAccess>(s.Command(Sql, new { Id = id }, CancellationToken.None)),
                CancellationToken.None);
            cache.Remember(id, account, changes);
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

using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Hosting;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Members.Features.Login;

/// <summary>
/// <c>Commerce:Members:Lockout</c>: <see cref="MaxFailures"/> attempts without the right password within
/// <see cref="FailureWindow"/>, from one client address for one email, lock that pair for <see cref="Duration"/>.
/// </summary>
public sealed class LoginLockoutOptions
{
    public const string Section = "Commerce:Members:Lockout";

    public int MaxFailures { get; set; } = 5;

    public TimeSpan Duration { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(10);

    internal bool IsValid => MaxFailures is >= 2 and <= 1_000 && Duration > TimeSpan.Zero && FailureWindow > TimeSpan.Zero && CleanupInterval > TimeSpan.Zero;
}

/// <summary>Deletes the attempt rows whose next attempt would start a new count anyway (the lock ended, or the count
/// is older than the window), so the table holds only counts that still matter. Safe on several instances.</summary>
internal sealed class LoginAttemptCleanup(IServiceScopeFactory scopes, IOptions<LoginLockoutOptions> options, TimeProvider clock, ILogger<LoginAttemptCleanup> logger)
    : PeriodicJob(scopes, logger)
{
    private const string DeleteSql = """
        DELETE FROM members.login_attempts
        WHERE locked_until <= @Now OR (locked_until IS NULL AND counting_since <= @CountFrom)
        """;

    // Refresh sessions whose newest refresh token has expired can never be used again (POST /api/auth/refresh).
    private const string DeleteExpiredSessionsSql = "DELETE FROM members.refresh_sessions WHERE expires_at <= @Now";

    protected override TimeSpan Interval => options.Value.CleanupInterval;

    protected override async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var session = services.GetRequiredService<DbSession>();
        var deleted = await DeleteFinishedAsync(session, ct);
        if (deleted > 0)
        {
            logger.LogInformation("Removed {Count} finished login attempt counts", deleted);
        }

        var sessions = await session.RunAsync(s => s.Connection.ExecuteAsync(s.Command(DeleteExpiredSessionsSql, new { Now = clock.GetUtcNow() }, ct)), ct);
        if (sessions > 0)
        {
            logger.LogInformation("Removed {Count} expired refresh sessions", sessions);
        }
    }

    internal Task<int> DeleteFinishedAsync(DbSession session, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        return session.RunAsync(s => s.Connection.ExecuteAsync(s.Command(DeleteSql, new { Now = now, CountFrom = now - options.Value.FailureWindow }, ct)), ct);
    }
}

using Commerce.BuildingBlocks.Data;
using Dapper;

namespace Commerce.Modules.Orders.Payments;

/// <summary>
/// The reconcilers' claim, the same for payments and refunds: one row whose gateway outcome is still unknown and whose
/// next check is due, its next check pushed out (exponential backoff, capped). The pushed-out time is the claim: another
/// instance will not check the same row before it, and a crash only delays the check.
/// </summary>
internal static class DueCheck
{
    /// <summary>Which rows are due, for a table with <c>status</c>, <c>next_check_at</c> and a partial index on the latter.</summary>
    public const string Due = "status = 'PENDING' AND next_check_at <= @Now";

    // 2^attempts seconds up to the cap; the exponent stops at 16 so power() stays small.
    public const string NextCheck =
        "check_attempts = check_attempts + 1, next_check_at = @Now + least(@MaxBackoffSeconds, power(2, least(check_attempts, 16))) * interval '1 second'";

    public static Task<T?> ClaimAsync<T>(DbSession session, string claimSql, TimeSpan maxBackoff, TimeProvider clock, CancellationToken ct) =>
        session.Connection.QuerySingleOrDefaultAsync<T>(session.Command(claimSql,
            new { Now = clock.GetUtcNow(), MaxBackoffSeconds = maxBackoff.TotalSeconds }, ct));
}

using Npgsql;

namespace Commerce.BuildingBlocks.Data;

/// <summary>What a readiness check reads from the database, on the check's own session (each check runs in a scope of its own).</summary>
public static class HealthRead
{
    // /health/ready must answer even when the database does not.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    /// <summary>What <paramref name="read"/> returned, or null when the database did not answer in time. The exception is
    /// dropped: it can name hosts and users, and the database check reports the outage itself.</summary>
    public static async Task<T?> TryAsync<T>(DbSession session, Func<DbSession, CancellationToken, Task<T>> read, CancellationToken ct)
        where T : class
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Timeout);
            return await read(session, timeout.Token);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return null;
        }
    }
}

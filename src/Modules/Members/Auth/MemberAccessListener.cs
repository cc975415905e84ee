using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.Modules.Members.Auth;

/// <summary>
/// Hears every change of an account's status or role, and every deleted account, on any instance or by hand: a trigger
/// on <c>members.members</c> notifies <c>member_access</c> with the member's id (migration 0004), and this service makes
/// <see cref="MemberStatusCache"/> forget that member. That is what lets the cache trust what it read for minutes. It
/// holds one connection of its own for as long as the host runs; when the connection is lost it tells the cache (which
/// then trusts nothing for long) and connects again with a backoff.
/// </summary>
internal sealed class MemberAccessListener(
    [FromKeyedServices(MemberAccessListener.DataSourceKey)] NpgsqlDataSource dataSource,
    MemberStatusCache cache,
    IOptions<MemberStatusCacheOptions> options,
    ILogger<MemberAccessListener> logger) : BackgroundService
{
    public const string DataSourceKey = "member-access";

    /// <summary>The listener's session in <c>pg_stat_activity</c>.</summary>
    public const string ApplicationName = "commerce-member-access";

    /// <summary>A connection that only waits sees a server that vanished without closing the socket only when it sends.</summary>
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(10);

    private const string Channel = "member_access";
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failuresInARow = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (long.TryParse(e.Payload, out var memberId))
                    {
                        cache.Forget(memberId);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Every change from here on is heard; what was read before may be stale.
                cache.Listening(true);
                failuresInARow = 0;
                logger.LogInformation("Listening for member status and role changes: the member check trusts what it read for {Duration}",
                    options.Value.DurationWhileListening);
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
#pragma warning disable CA1031 // The listener outlives any failure (database restart, a dropped connection): it tries again later.
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
#pragma warning restore CA1031
            {
                // Whatever changed since the connection broke was not heard.
                cache.Listening(false);
                var wait = TimeSpan.FromTicks(Math.Min(MaxRetry.Ticks, FirstRetry.Ticks << Math.Min(failuresInARow, 10)));
                if (failuresInARow++ == 0)
                {
                    logger.LogWarning(e, "Not listening for member status and role changes: the member check trusts what it read for only {Duration} " +
                                         "until it listens again (next try in {Wait})", options.Value.Duration, wait);
                }
                else
                {
                    logger.LogDebug(e, "Listening for member status and role changes failed again ({Failures} in a row); next try in {Wait}", failuresInARow, wait);
                }

                try
                {
                    await Task.Delay(wait, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}

using Commerce.BuildingBlocks.Hosting;
using Dapper;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Npgsql;

namespace Commerce.BuildingBlocks.Security;

/// <summary>
/// Makes sure the shared key ring has a usable key before the first token is issued. Serialised with an
/// advisory lock: instances starting together on an empty database would otherwise each create a key
/// the others do not know yet, and reject each other's tokens until their key rings refresh.
/// </summary>
internal sealed class DataProtectionKeyRing(NpgsqlDataSource dataSource, IKeyManager keyManager, TimeProvider clock) : IStartupTask
{
    private const long AdvisoryLockKey = 0x436f6d6d6b657973; // "Commkeys"

    public async Task RunAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@AdvisoryLockKey)", new { AdvisoryLockKey }, tx, cancellationToken: ct));
        var now = clock.GetUtcNow();
        if (!keyManager.GetAllKeys().Any(k => !k.IsRevoked && k.ActivationDate <= now && k.ExpirationDate > now.AddDays(7)))
        {
            keyManager.CreateNewKey(now, now.AddDays(90));
        }

        await tx.CommitAsync(ct);
    }
}

using Commerce.BuildingBlocks.Hosting;
using Commerce.BuildingBlocks.Security;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.Modules.Members.Startup;

/// <summary>
/// Creates the configured admin account if it does not exist (its password is never overwritten), then,
/// with demo data on and no other member yet, the demo members. Idempotent, so every instance runs it.
/// </summary>
internal sealed class SeedAccounts(
    NpgsqlDataSource dataSource,
    IOptions<AdminOptions> admin,
    IOptions<DemoDataOptions> demo,
    TimeProvider clock,
    ILogger<SeedAccounts> logger) : IStartupTask
{
    private const string InsertSql = """
        INSERT INTO members.members (email, name, password_hash, role, status, created_at, updated_at)
        VALUES (@Email, @Name, @PasswordHash, @Role, 'ACTIVE', @Now, @Now)
        ON CONFLICT ((lower(email))) DO NOTHING
        """;

    public async Task RunAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var settings = admin.Value;
        if (!string.IsNullOrWhiteSpace(settings.Email) && !string.IsNullOrEmpty(settings.Password))
        {
            if (PasswordRules.Weakness(settings.Password) is { } weakness)
            {
                throw new InvalidOperationException($"Commerce:Admin:Password is too weak: {weakness}");
            }

            if (await InsertAsync(connection, settings.Name, settings.Email, settings.Password, Roles.Admin, ct))
            {
                logger.LogInformation("Created the admin account {Email}", settings.Email);
            }
        }
        else
        {
            logger.LogWarning("No admin account configured (Commerce:Admin:Email and Commerce:Admin:Password); admin endpoints are unusable");
        }

        if (!demo.Value.Enabled)
        {
            return;
        }

        var others = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM members.members WHERE role = 'member'", cancellationToken: ct));
        if (others > 0)
        {
            return;
        }

        // All checked before any is created, so a weak one leaves no half-seeded set behind.
        foreach (var member in demo.Value.Members)
        {
            if (PasswordRules.Weakness(member.Password) is { } weakness)
            {
                throw new InvalidOperationException($"Commerce:DemoData:Members: the password of {member.Email} is too weak: {weakness}");
            }
        }

        foreach (var member in demo.Value.Members)
        {
            await InsertAsync(connection, member.Name, member.Email, member.Password, Roles.Member, ct);
        }

        logger.LogInformation("Created {Count} demo members", demo.Value.Members.Count);
    }

    private async Task<bool> InsertAsync(NpgsqlConnection connection, string name, string email, string password, string role, CancellationToken ct) =>
        await connection.ExecuteAsync(new CommandDefinition(InsertSql, new
        {
            Email = email.Trim(),
            Name = name,
            PasswordHash = MemberPasswordHasher.Hash(password),
            Role = role,
            Now = clock.GetUtcNow(),
        }, cancellationToken: ct)) == 1;
}

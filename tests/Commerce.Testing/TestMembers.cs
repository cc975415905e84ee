using Commerce.BuildingBlocks.Data;
using Commerce.Modules.Members;

namespace Commerce.Testing;

public sealed record TestMember(long Id, string Email, string Password, string Role);

/// <summary>
/// Members inserted straight into the table. Hashing a password costs ~0.1 s by design, so one hash is
/// computed per process and shared: tests that need a thousand members stay fast, and logins still verify.
/// </summary>
public static class TestMembers
{
    public const string Password = "Test-password-1";
    private static readonly Lazy<string> SharedHash = new(() => MemberPasswordHasher.Hash(Password));
    private static int _sequence;

    private const string InsertSql = """
        INSERT INTO members.members (email, name, password_hash, role, status, created_at, updated_at)
        SELECT e, n, @Hash, @Role, @Status, now(), now() FROM unnest(@Emails, @Names) AS t(e, n)
        RETURNING id, email
        """;

    public static async Task<IReadOnlyList<TestMember>> InsertAsync(Sql sql, int count, string role = "member", string status = "ACTIVE")
    {
        DapperConventions.Apply();
        var emails = Enumerable.Range(0, count)
            .Select(_ => $"member{Interlocked.Increment(ref _sequence)}-{Guid.NewGuid().ToString("N")[..8]}@test.local")
            .ToArray();
        var rows = await sql.QueryAsync<(long Id, string Email)>(InsertSql, new
        {
            Hash = SharedHash.Value,
            Role = role,
            Status = status,
            Emails = emails,
            Names = emails.Select(_ => "Test Member").ToArray(),
        });
        return rows.Select(r => new TestMember(r.Id, r.Email, Password, role)).OrderBy(m => m.Id).ToList();
    }

    public static async Task<TestMember> InsertOneAsync(Sql sql, string role = "member", string status = "ACTIVE") =>
        (await InsertAsync(sql, 1, role, status))[0];
}

using Dapper;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.Bench;

internal sealed record BenchMember(long Id, string Email, string Token);

/// <summary>
/// The data the scenarios need, written straight into the host's database (the harness knows the schema; the
/// product's own commands are what is measured, not the seeding), except tokens, which come from real logins.
/// </summary>
internal sealed class Seed(NpgsqlDataSource db)
{
    public const string Password = "Bench-password-1";
    public const long StartingPoints = 5_000_000;

    // One PBKDF2 iteration instead of the product's 100,000: 10,000 logins then cost milliseconds, not minutes,
    // and the login path (lookup, verify, token) is otherwise the real one.
    private static readonly string CheapHash = new PasswordHasher<object>(Options.Create(new PasswordHasherOptions { IterationCount = 1 }))
        .HashPassword(new object(), Password);

    /// <summary>Member rows, each with a bearer token from POST /api/auth/token and a wallet of <see cref="StartingPoints"/>.</summary>
    public async Task<IReadOnlyList<BenchMember>> MembersAsync(Api api, int count, string prefix)
    {
        await using var connection = await db.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<(long Id, string Email)>("""
            INSERT INTO members.members (email, name, password_hash, role, status, created_at, updated_at)
            SELECT @Prefix || '-' || n || '@bench.local', 'Bench member ' || n, @Hash, 'member', 'ACTIVE', now(), now()
            FROM generate_series(1, @Count) AS n
            RETURNING id, email
            """, new { Prefix = prefix, Hash = CheapHash, Count = count })).OrderBy(r => r.Id).ToList();

        var ids = rows.Select(r => r.Id).ToArray();
        await connection.ExecuteAsync("""
            INSERT INTO points.wallets (member_id, balance, updated_at) SELECT id, @Points, now() FROM unnest(@Ids) AS id;
            INSERT INTO points.ledger (member_id, type, amount, balance_after, reference, created_at)
            SELECT id, 'CHARGE', @Points, @Points, 'bench-seed', now() FROM unnest(@Ids) AS id;
            """, new { Ids = ids, Points = StartingPoints });

        var tokens = new string[rows.Count];
        var logins = await Load.ClosedLoopAsync(rows.Count, 16, async i =>
        {
            var reply = await api.PostAsync("/api/auth/token", null, new { email = rows[i].Email, password = Password });
            if (reply.Status == 200)
            {
                tokens[i] = reply.Json.GetProperty("accessToken").GetString()!;
            }

            return reply.Outcome;
        });
        if (logins.Outcomes.FirstOrDefault(o => o != "200") is { } failed)
        {
            throw new InvalidOperationException($"A bench member could not log in: {failed}");
        }

        return rows.Select((r, i) => new BenchMember(r.Id, r.Email, tokens[i])).ToList();
    }

    /// <summary>Products on sale; returns their ids in ascending order.</summary>
    public async Task<long[]> ProductsAsync(int count, long price, int stock, string name)
    {
        await using var connection = await db.OpenConnectionAsync();
        return (await connection.QueryAsync<long>("""
            INSERT INTO catalog.products (name, description, price, stock, status, created_at, updated_at)
            SELECT @Name || ' ' || n, 'Seeded by the load harness.', @Price, @Stock, 'ON_SALE', now(), now()
            FROM generate_series(1, @Count) AS n
            RETURNING id
            """, new { Name = name, Price = price, Stock = stock, Count = count })).Order().ToArray();
    }

    /// <summary>Products for bench/pgbench/checkout.sql, all named 'pgbench product': the script sells at the name and price
    /// it was given, as the handler sells at what it read, and a product that differs would be a stale read.</summary>
    public async Task<long[]> PgbenchProductsAsync(int count, long price)
    {
        var ids = await ProductsAsync(count, price, 1_000_000_000, "pgbench product");
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync("UPDATE catalog.products SET name = 'pgbench product' WHERE id = ANY(@Ids)", new { Ids = ids });
        return ids;
    }

    /// <summary>A fixed-discount order coupon campaign, open now, with <paramref name="quantity"/> coupons.</summary>
    public async Task<long> CampaignAsync(int quantity, string name)
    {
        await using var connection = await db.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("""
            INSERT INTO coupons.campaigns (name, discount_type, discount_value, target, total_quantity, starts_at, ends_at, valid_days,
                                           created_at, updated_at)
            VALUES (@Name, 'FIXED', 1000, 'ORDER', @Quantity, now() - interval '1 hour', now() + interval '1 day', 30, now(), now())
            RETURNING id
            """, new { Name = name, Quantity = quantity });
    }

    /// <summary>Wallets without member rows (points.wallets has no foreign key to members), for pgbench's checkouts.</summary>
    public async Task WalletsAsync(long firstMemberId, int count)
    {
        await using var connection = await db.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            INSERT INTO points.wallets (member_id, balance, updated_at)
            SELECT id, 1000000000000, now() FROM generate_series(@First, @Last) AS id
            ON CONFLICT (member_id) DO NOTHING
            """, new { First = firstMemberId, Last = firstMemberId + count - 1 });
    }
}

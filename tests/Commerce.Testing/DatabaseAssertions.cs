using Dapper;
using Npgsql;

namespace Commerce.Testing;

/// <summary>Plain SQL against a test database, for arranging rows and asserting what a command left behind.</summary>
public sealed class Sql(string connectionString)
{
    public string ConnectionString { get; } = connectionString;

    public async Task<T> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        return (await connection.ExecuteScalarAsync<T>(sql, parameters))!;
    }

    public async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        return (await connection.QueryAsync<T>(sql, parameters)).AsList();
    }

    public async Task<T> SingleAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        return await connection.QuerySingleAsync<T>(sql, parameters);
    }

    /// <summary>Wallets whose balance differs from the sum of their ledger: 0 whenever no point was lost or made up.</summary>
    public Task<long> WalletsOffTheirLedgerAsync() => ScalarAsync<long>("""
        SELECT count(*) FROM points.wallets w
        WHERE w.balance <> (SELECT coalesce(sum(amount), 0) FROM points.ledger l WHERE l.member_id = w.member_id)
        """);

    public async Task<int> ExecuteAsync(string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        return await connection.ExecuteAsync(sql, parameters);
    }
}

using Commerce.BuildingBlocks.Data;
using Commerce.Modules.Catalog.Contracts;
using Dapper;
using Npgsql;

namespace Commerce.Modules.Catalog;

internal sealed class ProductReader(DbSession session) : IProductReader
{
    private const string ReadSql = "SELECT id, name, status, price, stock FROM catalog.products WHERE id = ANY(@Ids) ORDER BY id";

    public async Task<IReadOnlyList<ProductSnapshot>> ReadAsync(IReadOnlyCollection<long> productIds, CancellationToken ct) =>
        productIds.Count == 0
            ? []
            : (await session.Connection.QueryAsync<ProductSnapshot>(session.Command(ReadSql, new { Ids = productIds.Distinct().ToArray() }, ct))).AsList();

    public NpgsqlBatchCommand Read(IReadOnlyCollection<long> productIds) =>
        new(ReadSql) { Parameters = { new NpgsqlParameter<long[]>("Ids", productIds.Distinct().ToArray()) } };
}

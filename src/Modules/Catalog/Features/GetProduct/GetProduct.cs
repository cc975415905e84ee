using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using MediatR;

namespace Commerce.Modules.Catalog.Features.GetProduct;

public sealed record GetProduct(long ProductId) : IQuery<ProductResponse>;

internal sealed class GetProductHandler(DbSession session) : IRequestHandler<GetProduct, ProductResponse>
{
    private const string Sql = $"SELECT {Products.Columns} FROM catalog.products WHERE id = @ProductId";

    public async Task<ProductResponse> Handle(GetProduct query, CancellationToken ct) =>
        await session.Connection.QuerySingleOrDefaultAsync<ProductResponse>(session.Command(Sql, query, ct))
        ?? throw Products.NotFound(query.ProductId);
}

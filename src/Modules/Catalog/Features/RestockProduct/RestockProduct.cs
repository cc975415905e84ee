using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Commerce.Modules.Catalog.Contracts;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Catalog.Features.RestockProduct;

/// <summary>An admin adds stock. Not idempotent by nature, so it accepts an Idempotency-Key (scoped to the admin).</summary>
public sealed record RestockProduct(long ProductId, int Quantity, long AdminId = 0, string? IdempotencyKey = null)
    : ICommand<ProductResponse>, IIdempotentCommand
{
    long IIdempotentCommand.MemberId => AdminId;
}

internal sealed class RestockProductValidator : AbstractValidator<RestockProduct>
{
    public RestockProductValidator() => RuleFor(c => c.Quantity).InclusiveBetween(1, CatalogLimits.MaxStockChange);
}

internal sealed class RestockProductHandler(DbSession session, TimeProvider clock) : IRequestHandler<RestockProduct, ProductResponse>
{
    // Relative, in one statement: a concurrent reservation waits for this row lock (or this for its) and the
    // limit is re-checked on the row version that wins, so no update is lost and the limit holds.
    private const string AddSql = $"""
        UPDATE catalog.products SET stock = stock + @Quantity, updated_at = @Now
        WHERE id = @ProductId AND stock <= @MaxStock - @Quantity
        RETURNING {Products.Columns}
        """;

    private const string StockSql = "SELECT stock FROM catalog.products WHERE id = @ProductId";

    public async Task<ProductResponse> Handle(RestockProduct command, CancellationToken ct)
    {
        // 1. Add the quantity unless the stock would pass the limit.
        var product = await session.Connection.QuerySingleOrDefaultAsync<ProductResponse>(session.Command(AddSql,
            new { command.ProductId, command.Quantity, CatalogLimits.MaxStock, Now = clock.GetUtcNow() }, ct));
        if (product is not null)
        {
            return product;
        }

        // 2. Nothing changed: say why.
        var stock = await session.Connection.QuerySingleOrDefaultAsync<int?>(session.Command(StockSql, new { command.ProductId }, ct))
            ?? throw Products.NotFound(command.ProductId);
        throw AppException.Conflict(CatalogErrors.StockLimitExceeded,
                $"Adding {command.Quantity} to the stock of {stock} would pass the limit of {CatalogLimits.MaxStock}.")
            .With("productId", command.ProductId).With("stock", stock).With("maxStock", CatalogLimits.MaxStock);
    }
}

using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Catalog.Contracts;

namespace Commerce.Modules.Catalog;

/// <summary>A product as the API shows it, to anyone: price in won, stock in units.</summary>
public sealed record ProductResponse(
    long Id,
    string Name,
    string Description,
    long Price,
    int Stock,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

internal static class Products
{
    /// <summary>The columns of <see cref="ProductResponse"/>, for SELECT and RETURNING.</summary>
    public const string Columns = "id, name, description, price, stock, status, created_at, updated_at";

    public static AppException NotFound(long productId) =>
        AppException.NotFound(CatalogErrors.ProductNotFound, $"Product {productId} does not exist.").With("productId", productId);
}

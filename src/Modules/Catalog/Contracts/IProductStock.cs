using Commerce.BuildingBlocks.Errors;
using Npgsql;

namespace Commerce.Modules.Catalog.Contracts;

/// <summary>
/// Products as the order flows use them. Every method runs on the caller's connection and transaction
/// (the DbSession of the current command) and locks the product rows it touches with FOR UPDATE in
/// ascending id order: step 3 of the global lock order (after the order row and the member's coupons,
/// before the wallet). Lines must name distinct products (merge duplicates first).
/// </summary>
public interface IProductStock
{
    /// <summary>Locks the product rows (FOR UPDATE, ascending id) and returns their status, price and stock. Ids that do not exist are absent from the result.</summary>
    Task<IReadOnlyList<ProductSnapshot>> LockAsync(IReadOnlyCollection<long> productIds, CancellationToken ct);

    /// <summary>
    /// Locks the product rows (FOR UPDATE, ascending id), checks each exists (404 PRODUCT_NOT_FOUND), is ON_SALE
    /// (409 PRODUCT_DISCONTINUED) and has the stock (409 OUT_OF_STOCK), then takes the quantities off the stock,
    /// all in one statement. Returns the products after the reservation (price and name under the lock, remaining
    /// stock). On any error nothing changed; the locks stay until the caller's transaction ends.
    /// </summary>
    Task<IReadOnlyList<ProductSnapshot>> LockAndReserveAsync(IReadOnlyList<StockLine> lines, CancellationToken ct);

    /// <summary>
    /// <see cref="LockAndReserveAsync"/> for a sale paid at once, as a statement to send with the COMMIT
    /// (DbSession.BeforeCommit), the sale added to the popular-products figures of <paramref name="paidAt"/>'s day (what
    /// <see cref="RecordSoldAsync"/> does), for a caller that priced the order from <paramref name="expected"/>, read without a lock (<see cref="IProductReader.Read"/>): it locks
    /// the product rows (FOR UPDATE, ascending id), takes the stock and records the sale only if every product is still
    /// ON_SALE, has the quantity and has the price and name in <paramref name="expected"/>. Otherwise it raises, and the
    /// server skips the rest of the batch, COMMIT included: 409 PRODUCT_DISCONTINUED or OUT_OF_STOCK as
    /// <see cref="LockAndReserveAsync"/> answers them (DatabaseRefusal), or, for a changed price or name (or a product gone),
    /// SQLSTATE DatabaseRefusal.StaleReadSqlState, on which the pipeline runs the whole command again. Returns no row.
    /// </summary>
    NpgsqlBatchCommand SellOrRaise(IReadOnlyList<StockLine> lines, IReadOnlyList<ProductSnapshot> expected, DateTimeOffset paidAt);

    /// <summary>Locks the product rows (FOR UPDATE, ascending id) and puts reserved quantities back on the stock (compensation). Works on discontinued products too.</summary>
    Task ReleaseAsync(IReadOnlyList<StockLine> lines, CancellationToken ct);

    /// <summary>
    /// Locks the product rows (FOR UPDATE, ascending id; nothing new for a caller that already holds them) and adds the
    /// units of a paid order to the popular-products figures of <paramref name="paidAt"/>'s day.
    /// </summary>
    Task RecordSoldAsync(IReadOnlyList<StockLine> lines, DateTimeOffset paidAt, CancellationToken ct);

    /// <summary>Takes the units of a refunded order back out of the figures of the day it was paid.</summary>
    Task RevokeSoldAsync(IReadOnlyList<StockLine> lines, DateTimeOffset paidAt, CancellationToken ct);
}

public sealed record StockLine(long ProductId, int Quantity);

public sealed record ProductSnapshot(long Id, string Name, string Status, long Price, int Stock);

public static class CatalogErrors
{
    /// <summary>
    /// Why <paramref name="products"/> (as read or locked) cannot be sold as <paramref name="lines"/> ask, as the order
    /// flows answer it, each kind of failure before the next: 404 PRODUCT_NOT_FOUND for a line whose product is absent,
    /// 409 PRODUCT_DISCONTINUED, 409 OUT_OF_STOCK; the first offending line in the caller's order. Nothing when all can be sold.
    /// </summary>
    public static void ThrowIfNotSellable(IReadOnlyList<StockLine> lines, IReadOnlyList<ProductSnapshot> products)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var byId = products.ToDictionary(p => p.Id);
        if (lines.FirstOrDefault(l => !byId.ContainsKey(l.ProductId)) is { } missing)
        {
            throw Products.NotFound(missing.ProductId);
        }

        if (lines.FirstOrDefault(l => byId[l.ProductId].Status != ProductStatus.OnSale) is { } discontinued)
        {
            throw AppException.Conflict(ProductDiscontinued, $"Product {discontinued.ProductId} is no longer on sale.")
                .With("productId", discontinued.ProductId);
        }

        if (lines.FirstOrDefault(l => byId[l.ProductId].Stock < l.Quantity) is { } shortLine)
        {
            var available = byId[shortLine.ProductId].Stock;
            throw AppException.Conflict(OutOfStock, $"Product {shortLine.ProductId} has {available} in stock; {shortLine.Quantity} were requested.")
                .With("productId", shortLine.ProductId).With("requested", shortLine.Quantity).With("available", available);
        }
    }


    public const string ProductNotFound = "PRODUCT_NOT_FOUND";
    public const string ProductDiscontinued = "PRODUCT_DISCONTINUED";
    public const string StockLimitExceeded = "STOCK_LIMIT_EXCEEDED";
    public const string OutOfStock = "OUT_OF_STOCK";
}

public static class ProductStatus
{
    public const string OnSale = "ON_SALE";
    public const string Discontinued = "DISCONTINUED";
}

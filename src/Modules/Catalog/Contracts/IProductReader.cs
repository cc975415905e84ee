namespace Commerce.Modules.Catalog.Contracts;

/// <summary>
/// Products as carts and price quotes read them: the committed state, without any lock, so a look at a cart or a
/// quote never waits for (or holds up) an order. Ids that do not exist are absent from the result.
/// </summary>
public interface IProductReader
{
    Task<IReadOnlyList<ProductSnapshot>> ReadAsync(IReadOnlyCollection<long> productIds, CancellationToken ct);
}

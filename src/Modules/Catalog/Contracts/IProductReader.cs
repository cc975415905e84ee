using Npgsql;

namespace Commerce.Modules.Catalog.Contracts;

/// <summary>
/// Products as carts and price quotes read them: the committed state, without any lock, so a look at a cart or a
/// quote never waits for (or holds up) an order. Ids that do not exist are absent from the result.
/// </summary>
public interface IProductReader
{
    Task<IReadOnlyList<ProductSnapshot>> ReadAsync(IReadOnlyCollection<long> productIds, CancellationToken ct);

    /// <summary>
    /// <see cref="ReadAsync"/> as a statement for the caller's batch (DbSession.Batch), so the read shares a round trip
    /// with others; its rows are <see cref="ProductSnapshot"/>s in ascending id order. Takes no lock.
    /// </summary>
    NpgsqlBatchCommand Read(IReadOnlyCollection<long> productIds);
}

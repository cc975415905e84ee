using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Catalog.Contracts;
using Dapper;
using Npgsql;

namespace Commerce.Modules.Catalog;

/// <summary>
/// <see cref="IProductStock"/> on the caller's transaction. Every method locks the products it touches in ascending
/// id, checks everything it can before writing, and writes all lines at once, nothing when a check fails. The order
/// flows call this while they hold the product rows, so reserving and recording a sale are one round trip each (the
/// check sits inside the statement, on the locked rows); an error names the first offending line in the caller's
/// order; results come back in ascending id order.
/// </summary>
internal sealed class ProductStock(DbSession session, TimeProvider clock) : IProductStock
{
    // ORDER BY under FOR UPDATE locks the rows in that order (LockRows sits above the sort): design.md lock step 3.
    private const string LockSql = """
        SELECT id, name, status, price, stock FROM catalog.products
        WHERE id = ANY(@Ids) ORDER BY id FOR UPDATE
        """;

    // Lock (ascending id), check every line on the locked rows, and take the stock only if all of them pass. The new
    // stock is computed from the locked row, not from `p`: `p` is the version in the statement's snapshot, which a
    // restock committed meanwhile has left behind, and PostgreSQL checks stock >= 0 on that computation before it
    // moves to the latest version. `taken` tells the caller whether it happened; if not, the locked rows say why.
    private const string ReserveSql = """
        WITH locked AS MATERIALIZED (
            SELECT id, name, status, price, stock FROM catalog.products
            WHERE id = ANY(@Ids) ORDER BY id FOR UPDATE
        ), lines AS (
            SELECT k.id, k.stock, l.quantity, k.status = 'ON_SALE' AND k.stock >= l.quantity AS ok
            FROM locked k JOIN unnest(@Ids, @Quantities) AS l(id, quantity) ON l.id = k.id
        ), taken AS (
            UPDATE catalog.products p SET stock = l.stock - l.quantity, updated_at = @Now
            FROM lines l
            WHERE p.id = l.id AND (SELECT count(*) = cardinality(@Ids) AND bool_and(ok) FROM lines)
            RETURNING p.id, p.stock
        )
        SELECT k.id, k.name, k.status, k.price, coalesce(t.stock, k.stock) AS stock, t.id IS NOT NULL AS taken
        FROM locked k LEFT JOIN taken t ON t.id = k.id
        ORDER BY k.id
        """;

    // ReserveSql for a caller that priced the order from an unlocked read and sends this with its COMMIT: a line also
    // passes only if its product still has the price and name read (@Prices, @Names), the sale is always recorded, and
    // instead of answering why nothing was taken it raises (migration 0011), for the first offending line of the first
    // kind: gone, discontinued, short, changed. The UPDATE and INSERT run whatever the final SELECT returns; it returns
    // no row when they took the stock.
    private const string SellOrRaiseSql = """
        WITH locked AS MATERIALIZED (
            SELECT id, name, status, price, stock FROM catalog.products
            WHERE id = ANY(@Ids) ORDER BY id FOR UPDATE
        ), lines AS (
            SELECT l.ord, l.id, l.quantity, k.stock,
                   CASE WHEN k.id IS NULL THEN 1
                        WHEN k.status <> 'ON_SALE' THEN 2
                        WHEN k.stock < l.quantity THEN 3
                        WHEN k.price <> l.price OR k.name <> l.name THEN 4
                   END AS refusal
            FROM unnest(@Ids, @Quantities, @Prices, @Names) WITH ORDINALITY AS l(id, quantity, price, name, ord)
                 LEFT JOIN locked k ON k.id = l.id
        ), taken AS (
            UPDATE catalog.products p SET stock = l.stock - l.quantity, updated_at = @Now
            FROM lines l
            WHERE p.id = l.id AND NOT EXISTS (SELECT FROM lines WHERE refusal IS NOT NULL)
            RETURNING p.id, l.quantity
        ), recorded AS (
            INSERT INTO catalog.product_sales_daily (day, product_id, units)
            SELECT @Day, t.id, t.quantity FROM taken t
            ON CONFLICT (day, product_id) DO UPDATE SET units = product_sales_daily.units + excluded.units
        )
        SELECT catalog.refuse_sale(f.refusal, f.id, f.quantity, f.stock)
        FROM (SELECT * FROM lines WHERE refusal IS NOT NULL ORDER BY refusal, ord LIMIT 1) f
        WHERE NOT EXISTS (SELECT FROM taken)
        """;

    private const string PutBackSql = """
        UPDATE catalog.products p SET stock = p.stock + l.quantity, updated_at = @Now
        FROM unnest(@Ids, @Quantities) AS l(id, quantity)
        WHERE p.id = l.id
        """;

    // A product's daily row is only ever written under that product's lock, so these upserts never wait on each other
    // beyond the product locks the order path holds anyway. Lock (a no-op for a caller that holds the rows) and upsert in
    // one round trip; the figures are written only when every product exists, and the locked ids say which do.
    private const string RecordSql = """
        WITH locked AS MATERIALIZED (
            SELECT id FROM catalog.products WHERE id = ANY(@Ids) ORDER BY id FOR UPDATE
        ), recorded AS (
            INSERT INTO catalog.product_sales_daily (day, product_id, units)
            SELECT @Day, l.id, l.quantity FROM unnest(@Ids, @Quantities) AS l(id, quantity)
            WHERE (SELECT count(*) FROM locked) = cardinality(@Ids)
            ON CONFLICT (day, product_id) DO UPDATE SET units = product_sales_daily.units + excluded.units
        )
        SELECT id FROM locked
        """;

    // Two statements, one round trip: the second takes its snapshot after the first holds every lock, so it reads
    // figures no other transaction can change until this one ends.
    private const string LockAndReadSoldSql = """
        SELECT id, name, status, price, stock FROM catalog.products
        WHERE id = ANY(@Ids) ORDER BY id FOR UPDATE;
        SELECT product_id, units FROM catalog.product_sales_daily
        WHERE day = @Day AND product_id = ANY(@Ids);
        """;

    private const string RevokeSql = """
        UPDATE catalog.product_sales_daily s SET units = s.units - l.quantity
        FROM unnest(@Ids, @Quantities) AS l(id, quantity)
        WHERE s.day = @Day AND s.product_id = l.id
        """;

    public async Task<IReadOnlyList<ProductSnapshot>> LockAsync(IReadOnlyCollection<long> productIds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(productIds);
        return productIds.Count == 0 ? [] : await LockAsync(productIds.Distinct().ToArray(), ct);
    }

    public async Task<IReadOnlyList<ProductSnapshot>> LockAndReserveAsync(IReadOnlyList<StockLine> lines, CancellationToken ct)
    {
        var (ids, quantities) = Split(lines);
        if (ids.Length == 0)
        {
            return [];
        }

        // 1. Lock, check and take, in one statement: every line's stock is taken, or none.
        var rows = (await session.Connection.QueryAsync<ReservedRow>(session.Command(ReserveSql,
            new { Ids = ids, Quantities = quantities, Now = clock.GetUtcNow() }, ct))).AsList();
        if (rows.Count == ids.Length && rows.TrueForAll(r => r.Taken))
        {
            return rows.ConvertAll(r => new ProductSnapshot(r.Id, r.Name, r.Status, r.Price, r.Stock));
        }

        // 2. Nothing was taken: say why, each kind of failure before the next: missing, discontinued, short.
        CatalogErrors.ThrowIfNotSellable(lines, rows.ConvertAll(r => new ProductSnapshot(r.Id, r.Name, r.Status, r.Price, r.Stock)));
        throw new InvalidOperationException("The reservation took nothing although every line passed its checks.");
    }

    public NpgsqlBatchCommand SellOrRaise(IReadOnlyList<StockLine> lines, IReadOnlyList<ProductSnapshot> expected, DateTimeOffset paidAt)
    {
        var (ids, quantities) = Split(lines);
        if (ids.Length == 0)
        {
            throw new ArgumentException("A sale has at least one line.", nameof(lines));
        }

        var read = expected.ToDictionary(p => p.Id);
        return new NpgsqlBatchCommand(SellOrRaiseSql)
        {
            Parameters =
            {
                new NpgsqlParameter<long[]>("Ids", ids),
                new NpgsqlParameter<int[]>("Quantities", quantities),
                new NpgsqlParameter<long[]>("Prices", Array.ConvertAll(ids, id => read[id].Price)),
                new NpgsqlParameter<string[]>("Names", Array.ConvertAll(ids, id => read[id].Name)),
                new NpgsqlParameter<DateTimeOffset>("Now", clock.GetUtcNow()),
                new NpgsqlParameter<DateOnly>("Day", SalesDay(paidAt)),
            },
        };
    }

    public async Task ReleaseAsync(IReadOnlyList<StockLine> lines, CancellationToken ct)
    {
        var (ids, quantities) = Split(lines);
        if (ids.Length == 0)
        {
            return;
        }

        // 1. Lock the products; all must exist.
        await LockAllAsync(ids, ct);

        // 2. Put every quantity back, whatever the sale status.
        await session.Connection.ExecuteAsync(session.Command(PutBackSql,
            new { Ids = ids, Quantities = quantities, Now = clock.GetUtcNow() }, ct));
    }

    public async Task RecordSoldAsync(IReadOnlyList<StockLine> lines, DateTimeOffset paidAt, CancellationToken ct)
    {
        var (ids, quantities) = Split(lines);
        if (ids.Length == 0)
        {
            return;
        }

        // 1. Lock the products (their locks serialise their daily rows) and add the units to the paid day's figures.
        var locked = (await session.Connection.QueryAsync<long>(session.Command(RecordSql,
            new { Day = SalesDay(paidAt), Ids = ids, Quantities = quantities }, ct))).AsList();

        // 2. A missing product recorded nothing; the caller's transaction must not go on.
        if (locked.Count != ids.Length)
        {
            throw Products.NotFound(ids.First(id => !locked.Contains(id)));
        }
    }

    public async Task RevokeSoldAsync(IReadOnlyList<StockLine> lines, DateTimeOffset paidAt, CancellationToken ct)
    {
        var (ids, quantities) = Split(lines);
        if (ids.Length == 0)
        {
            return;
        }

        // 1. Lock the products and read the paid day's figures for them.
        var day = SalesDay(paidAt);
        Dictionary<long, long> sold;
        using (var results = await session.Connection.QueryMultipleAsync(session.Command(LockAndReadSoldSql, new { Ids = ids, Day = day }, ct)))
        {
            EnsureAllExist(ids, (await results.ReadAsync<ProductSnapshot>()).AsList());
            sold = (await results.ReadAsync<(long ProductId, long Units)>()).ToDictionary(s => s.ProductId, s => s.Units);
        }

        // 2. A refund can only take back what its payment recorded on that day; anything else is the caller's bug.
        foreach (var line in lines)
        {
            var recorded = sold.GetValueOrDefault(line.ProductId);
            if (recorded < line.Quantity)
            {
                throw new InvalidOperationException(
                    $"Cannot take {line.Quantity} units of product {line.ProductId} off {day:yyyy-MM-dd}: only {recorded} were recorded.");
            }
        }

        // 3. Take the units off in one statement.
        await session.Connection.ExecuteAsync(session.Command(RevokeSql, new { Day = day, Ids = ids, Quantities = quantities }, ct));
    }

    private async Task<IReadOnlyList<ProductSnapshot>> LockAsync(long[] ids, CancellationToken ct) =>
        (await session.Connection.QueryAsync<ProductSnapshot>(session.Command(LockSql, new { Ids = ids }, ct))).AsList();

    private async Task LockAllAsync(long[] ids, CancellationToken ct) => EnsureAllExist(ids, await LockAsync(ids, ct));

    private static void EnsureAllExist(long[] ids, IReadOnlyList<ProductSnapshot> locked)
    {
        if (locked.Count == ids.Length)
        {
            return;
        }

        var found = locked.Select(p => p.Id).ToHashSet();
        throw Products.NotFound(ids.First(id => !found.Contains(id)));
    }

    /// <summary>A product as <see cref="ReserveSql"/> left it, and whether the reservation happened.</summary>
    private sealed record ReservedRow(long Id, string Name, string Status, long Price, int Stock, bool Taken);

    /// <summary>The figures are kept per UTC day, like the popular-products window that reads them.</summary>
    private static DateOnly SalesDay(DateTimeOffset paidAt) => DateOnly.FromDateTime(paidAt.UtcDateTime);

    private static (long[] Ids, int[] Quantities) Split(IReadOnlyList<StockLine> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var ids = new long[lines.Count];
        var quantities = new int[lines.Count];
        var seen = new HashSet<long>();
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (!seen.Add(line.ProductId))
            {
                throw new ArgumentException($"Product {line.ProductId} appears on more than one line; merge the lines first.", nameof(lines));
            }

            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(line.Quantity, nameof(lines));
            (ids[i], quantities[i]) = (line.ProductId, line.Quantity);
        }

        return (ids, quantities);
    }
}

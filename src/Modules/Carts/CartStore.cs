using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Catalog.Contracts;
using Dapper;

namespace Commerce.Modules.Carts;

/// <summary>
/// The cart statements the features share. A change locks the cart row first (FOR UPDATE): changes to one cart line
/// up, and a checkout holding the row sees no line come or go. No other command locks a cart row, and a cart command
/// locks nothing else except the checkout, which takes the cart row before the order flow's own locks.
/// </summary>
internal static class CartStore
{
    internal sealed record CartRow(long Id, long? MemberId, DateTimeOffset UpdatedAt);

    internal sealed record LineRow(long ProductId, int Quantity, DateTimeOffset AddedAt);

    private const string GuestSql = "SELECT id, member_id, updated_at FROM carts.carts WHERE token_hash = @Hash";

    private const string MemberSql = "SELECT id, member_id, updated_at FROM carts.carts WHERE member_id = @MemberId";

    // Creates the member's cart on first use, and locks it either way (ON CONFLICT DO UPDATE locks the existing row).
    private const string EnsureMemberSql = """
        INSERT INTO carts.carts (member_id, created_at, updated_at) VALUES (@MemberId, @Now, @Now)
        ON CONFLICT (member_id) DO UPDATE SET member_id = excluded.member_id
        RETURNING id, member_id, updated_at
        """;

    private const string LinesSql = """
        SELECT product_id, quantity, added_at FROM carts.cart_lines WHERE cart_id = @CartId ORDER BY added_at, product_id
        """;

    private const string TouchSql = "UPDATE carts.carts SET updated_at = @Now WHERE id = @CartId";

    public static AppException NotFound() => AppException.NotFound(CartErrors.CartNotFound, "There is no cart with this id (it may have expired or been merged).");

    /// <summary>The cart, optionally locked; null when it does not exist (a member who never filled one, an unknown guest id).</summary>
    public static Task<CartRow?> FindAsync(DbSession session, CartRef cart, bool forUpdate, CancellationToken ct)
    {
        var lockClause = forUpdate ? " FOR UPDATE" : "";
        if (cart.MemberId is { } memberId)
        {
            return session.Connection.QuerySingleOrDefaultAsync<CartRow>(session.Command(MemberSql + lockClause, new { MemberId = memberId }, ct));
        }

        return GuestCartIds.IsWellFormed(cart.GuestCartId)
            ? session.Connection.QuerySingleOrDefaultAsync<CartRow>(session.Command(GuestSql + lockClause, new { Hash = GuestCartIds.Hash(cart.GuestCartId!) }, ct))
            : Task.FromResult<CartRow?>(null);
    }

    /// <summary>Locks the cart for a change: a member's is created on first use; an unknown guest cart is 404.</summary>
    public static async Task<CartRow> LockForChangeAsync(DbSession session, CartRef cart, DateTimeOffset now, CancellationToken ct) =>
        cart.MemberId is { } memberId
            ? await session.Connection.QuerySingleAsync<CartRow>(session.Command(EnsureMemberSql, new { MemberId = memberId, Now = now }, ct))
            : await FindAsync(session, cart, forUpdate: true, ct) ?? throw NotFound();

    public static async Task<IReadOnlyList<LineRow>> LinesAsync(DbSession session, long cartId, CancellationToken ct) =>
        (await session.Connection.QueryAsync<LineRow>(session.Command(LinesSql, new { CartId = cartId }, ct))).AsList();

    public static Task TouchAsync(DbSession session, long cartId, DateTimeOffset now, CancellationToken ct) =>
        session.Connection.ExecuteAsync(session.Command(TouchSql, new { CartId = cartId, Now = now }, ct));

    /// <summary>The cart with live product names, prices and stock (read without locks); an absent cart is an empty one.</summary>
    public static async Task<CartView> ViewAsync(DbSession session, IProductReader products, CartRow? cart, CartRef cartRef, CancellationToken ct)
    {
        var lines = cart is null ? [] : await LinesAsync(session, cart.Id, ct);
        var found = (await products.ReadAsync(lines.Select(l => l.ProductId).ToList(), ct)).ToDictionary(p => p.Id);
        var views = lines.Where(l => found.ContainsKey(l.ProductId)).Select(l =>
        {
            var p = found[l.ProductId];
            return new CartLineView(p.Id, p.Name, p.Status, p.Price, l.Quantity, p.Price * l.Quantity, p.Stock,
                p.Status == ProductStatus.OnSale && p.Stock >= l.Quantity);
        }).ToList();
        return new CartView(cartRef.GuestCartId, views, views.Sum(l => l.Quantity), views.Sum(l => l.Amount),
            views.Count > 0 && views.TrueForAll(l => l.Available), cart?.UpdatedAt);
    }
}

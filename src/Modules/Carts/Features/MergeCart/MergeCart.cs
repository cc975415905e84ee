using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Commerce.Modules.Catalog.Contracts;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Carts.Features.MergeCart;

/// <summary>
/// After signing up or logging in, the guest's cart moves into the member's own: quantities of a product in both add
/// up (capped at the per-product limit), new products join while the cart has room, and the guest cart is deleted,
/// so its id opens nothing any more. Locks the member's cart, then the guest's (always in that order).
/// </summary>
public sealed record MergeCart(long MemberId, string GuestCartId) : ICommand<CartView>
{
    public override string ToString() => $"MergeCart of member {MemberId}";
}

internal sealed class MergeCartValidator : AbstractValidator<MergeCart>
{
    public MergeCartValidator() => RuleFor(c => c.GuestCartId).NotEmpty();
}

internal sealed class MergeCartHandler(DbSession session, IProductReader products, TimeProvider clock) : IRequestHandler<MergeCart, CartView>
{
    private const string MergeSql = """
        INSERT INTO carts.cart_lines (cart_id, product_id, quantity, added_at)
        SELECT @CartId, l.product_id, l.quantity, l.added_at FROM unnest(@ProductIds, @Quantities, @AddedAt) AS l(product_id, quantity, added_at)
        ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = excluded.quantity;
        DELETE FROM carts.carts WHERE id = @GuestCartId;
        UPDATE carts.carts SET updated_at = @Now WHERE id = @CartId;
        """;

    public async Task<CartView> Handle(MergeCart command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var memberRef = CartRef.OfMember(command.MemberId);

        // 1. The member's cart (created if needed), then the guest's: 404 when it is unknown, expired or merged already.
        var cart = await CartStore.LockForChangeAsync(session, memberRef, now, ct);
        var guest = await CartStore.FindAsync(session, CartRef.OfGuest(command.GuestCartId), forUpdate: true, ct) ?? throw CartStore.NotFound();

        // 2. The merged lines: the member's first, then the guest's in the order they were added, within the limits.
        var merged = (await CartStore.LinesAsync(session, cart.Id, ct)).ToDictionary(l => l.ProductId);
        foreach (var line in await CartStore.LinesAsync(session, guest.Id, ct))
        {
            if (merged.TryGetValue(line.ProductId, out var mine))
            {
                merged[line.ProductId] = mine with { Quantity = Math.Min(CartLimits.MaxQuantity, mine.Quantity + line.Quantity) };
            }
            else if (merged.Count < CartLimits.MaxLines)
            {
                merged[line.ProductId] = line;
            }
        }

        // 3. One round trip: the lines written, the guest cart (and its lines) deleted, the member's cart touched.
        var lines = merged.Values.ToList();
        await session.Connection.ExecuteAsync(session.Command(MergeSql, new
        {
            CartId = cart.Id,
            GuestCartId = guest.Id,
            ProductIds = lines.Select(l => l.ProductId).ToArray(),
            Quantities = lines.Select(l => l.Quantity).ToArray(),
            AddedAt = lines.Select(l => l.AddedAt).ToArray(),
            Now = now,
        }, ct));
        return await CartStore.ViewAsync(session, products, cart with { UpdatedAt = now }, memberRef, ct);
    }
}

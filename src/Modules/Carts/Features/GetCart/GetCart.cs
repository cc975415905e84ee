using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Commerce.Modules.Catalog.Contracts;
using MediatR;

namespace Commerce.Modules.Carts.Features.GetCart;

/// <summary>A cart with live names, prices and stock. A member without a cart has an empty one; an unknown guest id is 404.</summary>
public sealed record GetCart(CartRef Cart) : IQuery<CartView>;

internal sealed class GetCartHandler(DbSession session, IProductReader products) : IRequestHandler<GetCart, CartView>
{
    public async Task<CartView> Handle(GetCart query, CancellationToken ct)
    {
        var cart = await CartStore.FindAsync(session, query.Cart, forUpdate: false, ct);
        return cart is null && query.Cart.MemberId is null
            ? throw CartStore.NotFound()
            : await CartStore.ViewAsync(session, products, cart, query.Cart, ct);
    }
}

using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using MediatR;

namespace Commerce.Modules.Carts.Features.CreateCart;

/// <summary>A guest's cart, no sign-in needed. Its id is 256 random bits: the guest's only key to it, so it is a secret.</summary>
public sealed record CreateCart : ICommand<CartView>;

internal sealed class CreateCartHandler(DbSession session, TimeProvider clock) : IRequestHandler<CreateCart, CartView>
{
    private const string InsertSql = """
        INSERT INTO carts.carts (token_hash, created_at, updated_at) VALUES (@Hash, @Now, @Now)
        """;

    public async Task<CartView> Handle(CreateCart command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();

        // 1. A new random id; only its hash is stored.
        var cartId = GuestCartIds.New();
        await session.Connection.ExecuteAsync(session.Command(InsertSql, new { Hash = GuestCartIds.Hash(cartId), Now = now }, ct));
        return new CartView(cartId, [], 0, 0, false, now);
    }
}

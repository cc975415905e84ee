using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Commerce.Modules.Catalog.Contracts;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Carts.Features.RemoveCartLine;

/// <summary>Takes a product out of the cart. Removing a product that is not in it changes nothing and answers with the cart.</summary>
public sealed record RemoveCartLine(CartRef Cart, long ProductId) : ICommand<CartView>;

internal sealed class RemoveCartLineValidator : AbstractValidator<RemoveCartLine>
{
    public RemoveCartLineValidator() => RuleFor(c => c.ProductId).GreaterThan(0);
}

internal sealed class RemoveCartLineHandler(DbSession session, IProductReader products, TimeProvider clock) : IRequestHandler<RemoveCartLine, CartView>
{
    private const string DeleteSql = "DELETE FROM carts.cart_lines WHERE cart_id = @CartId AND product_id = @ProductId";

    public async Task<CartView> Handle(RemoveCartLine command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();

        // 1. The cart row; 2. the line, if it is there.
        var cart = await CartStore.LockForChangeAsync(session, command.Cart, now, ct);
        if (await session.Connection.ExecuteAsync(session.Command(DeleteSql, new { CartId = cart.Id, command.ProductId }, ct)) > 0)
        {
            await CartStore.TouchAsync(session, cart.Id, now, ct);
            cart = cart with { UpdatedAt = now };
        }

        return await CartStore.ViewAsync(session, products, cart, command.Cart, ct);
    }
}

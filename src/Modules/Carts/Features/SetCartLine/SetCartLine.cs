using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Commerce.Modules.Catalog.Contracts;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Carts.Features.SetCartLine;

/// <summary>
/// Puts a product in the cart with this quantity (adds the line, or changes its quantity). The product must exist
/// and be on sale; stock is not reserved (the cart shows availability; the checkout takes the stock).
/// </summary>
public sealed record SetCartLine(CartRef Cart, long ProductId, int Quantity) : ICommand<CartView>;

internal sealed class SetCartLineValidator : AbstractValidator<SetCartLine>
{
    public SetCartLineValidator()
    {
        RuleFor(c => c.ProductId).GreaterThan(0);
        RuleFor(c => c.Quantity).InclusiveBetween(1, CartLimits.MaxQuantity);
    }
}

internal sealed class SetCartLineHandler(DbSession session, IProductReader products, TimeProvider clock) : IRequestHandler<SetCartLine, CartView>
{
    // The line count is checked in the same statement, on the locked cart: a new product goes in only below the limit.
    private const string UpsertSql = """
        INSERT INTO carts.cart_lines (cart_id, product_id, quantity, added_at)
        SELECT @CartId, @ProductId, @Quantity, @Now
        WHERE EXISTS (SELECT 1 FROM carts.cart_lines WHERE cart_id = @CartId AND product_id = @ProductId)
           OR (SELECT count(*) FROM carts.cart_lines WHERE cart_id = @CartId) < @MaxLines
        ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = excluded.quantity;
        UPDATE carts.carts SET updated_at = @Now WHERE id = @CartId;
        """;

    public async Task<CartView> Handle(SetCartLine command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();

        // 1. The cart row (a member's is created on first use; an unknown guest cart is 404).
        var cart = await CartStore.LockForChangeAsync(session, command.Cart, now, ct);

        // 2. The product, as it is now: unknown and discontinued products are refused like an order refuses them.
        var product = (await products.ReadAsync([command.ProductId], ct)).SingleOrDefault()
            ?? throw AppException.NotFound(CatalogErrors.ProductNotFound, $"Product {command.ProductId} does not exist.").With("productId", command.ProductId);
        if (product.Status != ProductStatus.OnSale)
        {
            throw AppException.Conflict(CatalogErrors.ProductDiscontinued, $"Product {product.Id} is no longer on sale.").With("productId", product.Id);
        }

        // 3. The line, unless it would be one line too many.
        var written = await session.Connection.ExecuteAsync(session.Command(UpsertSql,
            new { CartId = cart.Id, command.ProductId, command.Quantity, Now = now, CartLimits.MaxLines }, ct));
        if (written < 2)
        {
            throw AppException.Conflict(CartErrors.CartFull, $"A cart holds at most {CartLimits.MaxLines} different products.")
                .With("maxLines", CartLimits.MaxLines);
        }

        return await CartStore.ViewAsync(session, products, cart with { UpdatedAt = now }, command.Cart, ct);
    }
}

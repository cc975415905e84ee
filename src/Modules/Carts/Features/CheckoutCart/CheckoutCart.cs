using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Commerce.Modules.Orders;
using Commerce.Modules.Orders.Features.Checkout;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Carts.Features.CheckoutCart;

/// <summary>
/// Flow B for what is in the member's cart: the member check (the endpoint's policy), then one transaction — the cart
/// row locked and its lines read, Orders' own Checkout on those lines (the member's coupons, the products, the wallet,
/// in the seed's order), and the cart emptied. Checkout joins this transaction, so any refusal (out of stock, points
/// short, ...) rolls back the cart's emptying too: a failed checkout leaves the cart exactly as it was.
/// </summary>
public sealed record CheckoutCart(long MemberId, IReadOnlyList<long>? CouponIds, string? IdempotencyKey = null)
    : ICommand<OrderView>, IIdempotentCommand;

internal sealed class CheckoutCartValidator : AbstractValidator<CheckoutCart>
{
    public CheckoutCartValidator() => RuleFor(c => c.CouponIds).Must(ids => ids!.Count <= CartLimits.MaxCoupons && ids.All(id => id > 0))
        .WithMessage($"At most {CartLimits.MaxCoupons} positive coupon ids.")
        .OverridePropertyName("couponIds")
        .When(c => c.CouponIds is not null);
}

internal sealed class CheckoutCartHandler(DbSession session, IMediator mediator, TimeProvider clock) : IRequestHandler<CheckoutCart, OrderView>
{
    private const string EmptySql = """
        DELETE FROM carts.cart_lines WHERE cart_id = @CartId;
        UPDATE carts.carts SET updated_at = @Now WHERE id = @CartId;
        """;

    public async Task<OrderView> Handle(CheckoutCart command, CancellationToken ct)
    {
        // 1. The cart row, locked before the order flow's locks: no line comes or goes until this commits.
        var cart = await CartStore.FindAsync(session, CartRef.OfMember(command.MemberId), forUpdate: true, ct);
        var lines = cart is null ? [] : await CartStore.LinesAsync(session, cart.Id, ct);
        if (lines.Count == 0)
        {
            throw AppException.Conflict(CartErrors.CartEmpty, "The cart is empty.");
        }

        // 2. Flow B on the cart's lines, in this transaction (a nested command joins it).
        var order = await mediator.Send(new Checkout(command.MemberId, lines.Select(l => new OrderItem(l.ProductId, l.Quantity)).ToList(), command.CouponIds), ct);

        // 3. The cart is emptied with the purchase, in the same commit.
        await session.Connection.ExecuteAsync(session.Command(EmptySql, new { CartId = cart!.Id, Now = clock.GetUtcNow() }, ct));
        return order;
    }
}

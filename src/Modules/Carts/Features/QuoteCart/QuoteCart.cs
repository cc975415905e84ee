using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Commerce.Modules.Orders;
using Commerce.Modules.Orders.Features.QuoteOrder;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Carts.Features.QuoteCart;

/// <summary>What checking out the member's cart would cost now (Orders' quote on the cart's lines): nothing is locked or changed.</summary>
public sealed record QuoteCart(long MemberId, IReadOnlyList<long>? CouponIds) : IQuery<OrderQuote>;

internal sealed class QuoteCartValidator : AbstractValidator<QuoteCart>
{
    public QuoteCartValidator() => RuleFor(c => c.CouponIds).Must(ids => ids!.Count <= CartLimits.MaxCoupons && ids.All(id => id > 0))
        .WithMessage($"At most {CartLimits.MaxCoupons} positive coupon ids.")
        .OverridePropertyName("couponIds")
        .When(c => c.CouponIds is not null);
}

internal sealed class QuoteCartHandler(DbSession session, IMediator mediator) : IRequestHandler<QuoteCart, OrderQuote>
{
    public async Task<OrderQuote> Handle(QuoteCart query, CancellationToken ct)
    {
        // 1. The cart's lines as they are (no lock); 2. priced exactly as the checkout would price them.
        var cart = await CartStore.FindAsync(session, CartRef.OfMember(query.MemberId), forUpdate: false, ct);
        var lines = cart is null ? [] : await CartStore.LinesAsync(session, cart.Id, ct);
        return lines.Count == 0
            ? throw AppException.Conflict(CartErrors.CartEmpty, "The cart is empty.")
            : await mediator.Send(new QuoteOrder(query.MemberId, lines.Select(l => new OrderItem(l.ProductId, l.Quantity)).ToList(), query.CouponIds), ct);
    }
}

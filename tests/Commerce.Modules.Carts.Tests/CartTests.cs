using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Carts.Features.CheckoutCart;
using Commerce.Modules.Carts.Features.CreateCart;
using Commerce.Modules.Carts.Features.ExpireCarts;
using Commerce.Modules.Carts.Features.GetCart;
using Commerce.Modules.Carts.Features.MergeCart;
using Commerce.Modules.Carts.Features.QuoteCart;
using Commerce.Modules.Carts.Features.RemoveCartLine;
using Commerce.Modules.Carts.Features.SetCartLine;
using Commerce.Testing;

namespace Commerce.Modules.Carts.Tests;

public sealed class CartTests(CartsHost host) : IClassFixture<CartsHost>
{
    private static async Task<AppException> Refused(Func<Task> action) => await Assert.ThrowsAsync<AppException>(action);

    [Fact]
    public async Task A_guest_cart_has_a_random_id_stored_only_as_a_hash_and_shows_live_prices_and_availability()
    {
        var shirt = await host.Services.NewProductAsync(price: 25_000, stock: 2, name: "Linen shirt");
        var lamp = await host.Services.NewProductAsync(price: 30_000, stock: 10, name: "Lamp");

        var first = await host.SendAsync(new CreateCart());
        var second = await host.SendAsync(new CreateCart());
        await host.SendAsync(new SetCartLine(CartRef.OfGuest(first.CartId!), shirt.Id, 3));
        await host.SendAsync(new SetCartLine(CartRef.OfGuest(first.CartId!), lamp.Id, 1));
        var cart = await host.SendAsync(new GetCart(CartRef.OfGuest(first.CartId!)));

        Assert.Equal(43, first.CartId!.Length);
        Assert.NotEqual(first.CartId, second.CartId);
        Assert.Equal(1, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM carts.carts WHERE token_hash = sha256(convert_to(@Id, 'UTF8'))", new { Id = first.CartId }));
        Assert.Equal([("Linen shirt", 3, 75_000L, false), ("Lamp", 1, 30_000L, true)],
            cart.Lines.Select(l => (l.ProductName, l.Quantity, l.Amount, l.Available)));
        Assert.Equal((4, 105_000L, false), (cart.ItemCount, cart.Subtotal, cart.ReadyToCheckOut));
    }

    [Fact]
    public async Task Lines_change_and_go_and_unknown_products_discontinued_ones_a_full_cart_and_unknown_carts_are_refused()
    {
        var product = await host.Services.NewProductAsync(price: 1_000, stock: 10);
        var discontinued = await host.Services.NewProductAsync(price: 1_000, stock: 10);
        await host.Services.DiscontinueAsync(discontinued.Id);
        var guest = CartRef.OfGuest((await host.SendAsync(new CreateCart())).CartId!);

        await host.SendAsync(new SetCartLine(guest, product.Id, 5));
        var changed = await host.SendAsync(new SetCartLine(guest, product.Id, 2));
        var removed = await host.SendAsync(new RemoveCartLine(guest, product.Id));
        var unknown = await Refused(() => host.SendAsync(new SetCartLine(guest, 987_654_321, 1)));
        var notOnSale = await Refused(() => host.SendAsync(new SetCartLine(guest, discontinued.Id, 1)));
        var noCart = await Refused(() => host.SendAsync(new GetCart(CartRef.OfGuest(Convert.ToBase64String(new byte[32]).TrimEnd('=')))));
        var garbage = await Refused(() => host.SendAsync(new SetCartLine(CartRef.OfGuest("1"), product.Id, 1)));

        var full = CartRef.OfGuest((await host.SendAsync(new CreateCart())).CartId!);
        for (var i = 0; i < CartLimits.MaxLines; i++)
        {
            await host.SendAsync(new SetCartLine(full, (await host.Services.NewProductAsync(price: 100, stock: 1)).Id, 1));
        }

        var another = await host.Services.NewProductAsync(price: 1_000, stock: 10);
        var tooMany = await Refused(() => host.SendAsync(new SetCartLine(full, another.Id, 1)));

        Assert.Equal(2, changed.Lines.Single().Quantity);
        Assert.Empty(removed.Lines);
        Assert.Equal(("PRODUCT_NOT_FOUND", 404), (unknown.Code, unknown.Status));
        Assert.Equal(("PRODUCT_DISCONTINUED", 409), (notOnSale.Code, notOnSale.Status));
        Assert.Equal(("CART_NOT_FOUND", 404), (noCart.Code, noCart.Status));
        Assert.Equal(("CART_NOT_FOUND", 404), (garbage.Code, garbage.Status));
        Assert.Equal(("CART_FULL", 409), (tooMany.Code, tooMany.Status));
    }

    [Fact]
    public async Task A_guest_cart_merged_into_a_members_cart_adds_quantities_up_to_the_limit_and_is_gone()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var shared = await host.Services.NewProductAsync(price: 1_000, stock: 500);
        var guestOnly = await host.Services.NewProductAsync(price: 2_000, stock: 500);
        await host.SendAsync(new SetCartLine(CartRef.OfMember(member.Id), shared.Id, 60));
        var guestId = (await host.SendAsync(new CreateCart())).CartId!;
        await host.SendAsync(new SetCartLine(CartRef.OfGuest(guestId), shared.Id, 70));
        await host.SendAsync(new SetCartLine(CartRef.OfGuest(guestId), guestOnly.Id, 2));

        var merged = await host.SendAsync(new MergeCart(member.Id, guestId));

        Assert.Equal([(shared.Id, 100), (guestOnly.Id, 2)], merged.Lines.Select(l => (l.ProductId, l.Quantity)));
        Assert.Equal("CART_NOT_FOUND", (await Refused(() => host.SendAsync(new GetCart(CartRef.OfGuest(guestId))))).Code);
        Assert.Equal("CART_NOT_FOUND", (await Refused(() => host.SendAsync(new MergeCart(member.Id, guestId)))).Code);
        Assert.Equal(1, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM carts.carts WHERE member_id = @Id", new { member.Id }));
    }

    [Fact]
    public async Task Checkout_from_the_cart_buys_what_the_quote_said_and_empties_the_cart_once_per_key()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        await host.Services.ChargeAsync(member.Id, 100_000);
        var product = await host.Services.NewProductAsync(price: 20_000, stock: 10);
        var coupon = await host.Services.IssueCouponAsync(member.Id, (await host.Services.NewCampaignAsync(host.Clock.GetUtcNow(), value: 3_000)).Id);
        await host.SendAsync(new SetCartLine(CartRef.OfMember(member.Id), product.Id, 2));

        var quote = await host.SendAsync(new QuoteCart(member.Id, null));
        var order = await host.SendAsync(new CheckoutCart(member.Id, null, "cart-1"));
        var replay = await host.SendAsync(new CheckoutCart(member.Id, null, "cart-1"));
        var again = await Refused(() => host.SendAsync(new CheckoutCart(member.Id, null, "cart-2")));

        Assert.Equal((40_000L, 3_000L, 37_000L), (quote.Subtotal, quote.Discount, quote.Total));
        Assert.Equal([coupon], quote.CouponIds);
        Assert.Equal(("PAID", quote.Total), (order.Status, order.Total));
        Assert.Equal(quote.CouponIds, order.CouponIds);
        Assert.Equal(order.Id, replay.Id);
        Assert.Equal(("CART_EMPTY", 409), (again.Code, again.Status));
        Assert.Empty(await host.MemberCartLines(member.Id));
        Assert.Equal((8L, 63_000L), (await host.Sql.StockAsync(product.Id), await host.Sql.BalanceAsync(member.Id)));
    }

    [Fact]
    public async Task A_checkout_that_fails_leaves_the_cart_stock_and_points_as_they_were()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        await host.Services.ChargeAsync(member.Id, 10_000);
        var cheap = await host.Services.NewProductAsync(price: 1_000, stock: 10);
        var dear = await host.Services.NewProductAsync(price: 20_000, stock: 10);
        await host.SendAsync(new SetCartLine(CartRef.OfMember(member.Id), cheap.Id, 3));
        await host.SendAsync(new SetCartLine(CartRef.OfMember(member.Id), dear.Id, 1));

        var quote = await host.SendAsync(new QuoteCart(member.Id, null));
        var shortOfPoints = await Refused(() => host.SendAsync(new CheckoutCart(member.Id, null)));
        await host.Services.DiscontinueAsync(cheap.Id);
        var discontinued = await Refused(() => host.SendAsync(new CheckoutCart(member.Id, null)));
        var quoteAfter = await Refused(() => host.SendAsync(new QuoteCart(member.Id, null)));

        Assert.Equal(23_000L, quote.Total);
        Assert.Equal(("INSUFFICIENT_POINTS", 409), (shortOfPoints.Code, shortOfPoints.Status));
        Assert.Equal(("PRODUCT_DISCONTINUED", 409), (discontinued.Code, discontinued.Status));
        Assert.Equal(discontinued.Code, quoteAfter.Code);
        Assert.Equal([(cheap.Id, 3), (dear.Id, 1)], await host.MemberCartLines(member.Id));
        Assert.Equal((10L, 10L, 10_000L), (await host.Sql.StockAsync(cheap.Id), await host.Sql.StockAsync(dear.Id), await host.Sql.BalanceAsync(member.Id)));
        Assert.Equal(0, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders WHERE member_id = @Id", new { member.Id }));
    }

    [Fact]
    public async Task Abandoned_guest_carts_expire_and_members_carts_and_fresh_ones_stay()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var product = await host.Services.NewProductAsync(price: 1_000, stock: 10);
        var old = (await host.SendAsync(new CreateCart())).CartId!;
        await host.SendAsync(new SetCartLine(CartRef.OfGuest(old), product.Id, 1));
        await host.SendAsync(new SetCartLine(CartRef.OfMember(member.Id), product.Id, 1));
        host.Clock.Advance(TimeSpan.FromDays(31));
        var fresh = (await host.SendAsync(new CreateCart())).CartId!;
        var now = host.Clock.GetUtcNow();

        // Two expiry runs at once (two instances): each cart is deleted once, by one of them.
        var deleted = await Concurrently.RunAsync(2, _ => host.SendAsync(new ExpireCarts(now.AddDays(-30), null, 500)));

        Assert.Equal("CART_NOT_FOUND", (await Refused(() => host.SendAsync(new GetCart(CartRef.OfGuest(old))))).Code);
        Assert.Empty((await host.SendAsync(new GetCart(CartRef.OfGuest(fresh)))).Lines);
        Assert.Equal([(product.Id, 1)], await host.MemberCartLines(member.Id));
        Assert.True(deleted.Sum() >= 1);
        Assert.Equal(0, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM carts.cart_lines l LEFT JOIN carts.carts c ON c.id = l.cart_id WHERE c.id IS NULL"));
    }
}

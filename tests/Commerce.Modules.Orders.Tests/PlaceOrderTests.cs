using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Orders.Features.PlaceOrder;
using Commerce.Testing;
using FluentValidation;

namespace Commerce.Modules.Orders.Tests;

public sealed class PlaceOrderTests(OrdersHost host) : IClassFixture<OrdersHost>
{
    [Fact]
    public async Task PlaceOrder_reserves_stock_and_creates_a_pending_order_with_its_lines_and_an_event()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var shirt = await host.Services.NewProductAsync(price: 20_000, stock: 10);
        var socks = await host.Services.NewProductAsync(price: 3_000, stock: 10);

        var order = await host.SendAsync(new PlaceOrder(member.Id, [new(socks.Id, 2), new(shirt.Id, 1), new(socks.Id, 1)], CouponIds: []));

        Assert.Equal(("PENDING_PAYMENT", 29_000L, 0L, 29_000L), (order.Status, order.Subtotal, order.Discount, order.Total));
        Assert.Equal(host.Clock.GetUtcNow().AddMinutes(15), order.PaymentDeadline);
        Assert.Equal([(shirt.Id, 1, 20_000L), (socks.Id, 3, 9_000L)], order.Lines.Select(l => (l.ProductId, l.Quantity, l.Amount)).OrderBy(l => l.ProductId != shirt.Id));
        Assert.Equal((9L, 7L), (await host.Sql.StockAsync(shirt.Id), await host.Sql.StockAsync(socks.Id)));
        Assert.Equal(2, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.order_lines WHERE order_id = @Id", new { order.Id }));
        Assert.Equal(["OrderPlaced"], await host.Sql.OrderEventsAsync(order.Id));
    }

    [Fact]
    public async Task PlaceOrder_without_coupon_ids_applies_the_best_usable_coupons_and_marks_them_used()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var product = await host.Services.NewProductAsync(price: 50_000, stock: 10);
        var now = host.Clock.GetUtcNow();
        var small = await host.Services.IssueCouponAsync(member.Id, (await host.Services.NewCampaignAsync(now, value: 1_000)).Id);
        var big = await host.Services.IssueCouponAsync(member.Id, (await host.Services.NewCampaignAsync(now, CouponTerms.Percent, 10)).Id);
        var onProduct = await host.Services.IssueCouponAsync(member.Id,
            (await host.Services.NewCampaignAsync(now, value: 2_000, target: CouponTerms.TargetProduct, productId: product.Id)).Id);

        var order = await host.SendAsync(new PlaceOrder(member.Id, [new(product.Id, 2)], CouponIds: null));

        // 100,000 - 2,000 on the line = 98,000; 10 % of that (9,800) beats 1,000 off.
        Assert.Equal((100_000L, 11_800L, 88_200L), (order.Subtotal, order.Discount, order.Total));
        Assert.Equal([big, onProduct], order.CouponIds.Order());
        Assert.Equal(("USED", "USED", "AVAILABLE"), (await host.Sql.CouponStatusAsync(big), await host.Sql.CouponStatusAsync(onProduct), await host.Sql.CouponStatusAsync(small)));
        Assert.Equal(order.Id, await host.Sql.ScalarAsync<long>("SELECT order_id FROM coupons.issued_coupons WHERE id = @big", new { big }));
    }

    [Fact]
    public async Task PlaceOrder_with_an_empty_coupon_list_applies_none()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var product = await host.Services.NewProductAsync(price: 10_000, stock: 10);
        var coupon = await host.Services.IssueCouponAsync(member.Id, (await host.Services.NewCampaignAsync(host.Clock.GetUtcNow())).Id);

        var order = await host.SendAsync(new PlaceOrder(member.Id, [new(product.Id, 1)], CouponIds: []));

        Assert.Equal(0, order.Discount);
        Assert.Equal("AVAILABLE", await host.Sql.CouponStatusAsync(coupon));
    }

    [Fact]
    public async Task PlaceOrder_with_another_members_or_a_used_coupon_is_refused_and_changes_nothing()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var other = await TestMembers.InsertOneAsync(host.Sql);
        var product = await host.Services.NewProductAsync(price: 10_000, stock: 10);
        var campaign = await host.Services.NewCampaignAsync(host.Clock.GetUtcNow());
        var othersCoupon = await host.Services.IssueCouponAsync(other.Id, campaign.Id);
        var mine = await host.Services.IssueCouponAsync(member.Id, campaign.Id);
        await host.SendAsync(new PlaceOrder(member.Id, [new(product.Id, 1)], CouponIds: [mine]));

        var notMine = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new PlaceOrder(member.Id, [new(product.Id, 1)], [othersCoupon])));
        var used = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new PlaceOrder(member.Id, [new(product.Id, 1)], [mine])));

        Assert.Equal(("COUPON_NOT_USABLE", 422, othersCoupon), (notMine.Code, notMine.Status, (long)notMine.Extensions["couponId"]!));
        Assert.Equal(("COUPON_NOT_USABLE", 422, mine), (used.Code, used.Status, (long)used.Extensions["couponId"]!));
        Assert.Equal(9, await host.Sql.StockAsync(product.Id));
        Assert.Equal("AVAILABLE", await host.Sql.CouponStatusAsync(othersCoupon));
    }

    [Fact]
    public async Task PlaceOrder_beyond_the_stock_or_of_a_discontinued_or_missing_product_is_refused_and_changes_nothing()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var plenty = await host.Services.NewProductAsync(price: 1_000, stock: 100);
        var scarce = await host.Services.NewProductAsync(price: 1_000, stock: 2);
        var gone = await host.Services.NewProductAsync(price: 1_000, stock: 100);
        await host.Services.DiscontinueAsync(gone.Id);
        var coupon = await host.Services.IssueCouponAsync(member.Id, (await host.Services.NewCampaignAsync(host.Clock.GetUtcNow(), value: 10)).Id);

        var outOfStock = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new PlaceOrder(member.Id, [new(plenty.Id, 5), new(scarce.Id, 3)], [coupon])));
        var discontinued = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new PlaceOrder(member.Id, [new(gone.Id, 1)], null)));
        var missing = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new PlaceOrder(member.Id, [new(999_999, 1)], null)));

        Assert.Equal(("OUT_OF_STOCK", 409), (outOfStock.Code, outOfStock.Status));
        Assert.Equal(("PRODUCT_DISCONTINUED", 409), (discontinued.Code, discontinued.Status));
        Assert.Equal(("PRODUCT_NOT_FOUND", 404), (missing.Code, missing.Status));
        Assert.Equal((100L, 2L), (await host.Sql.StockAsync(plenty.Id), await host.Sql.StockAsync(scarce.Id)));
        Assert.Equal("AVAILABLE", await host.Sql.CouponStatusAsync(coupon));
        Assert.Equal(0, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders WHERE member_id = @Id", new { member.Id }));
    }

    public static TheoryData<string, OrderItem[], long[]?> InvalidBaskets => new()
    {
        { "items", [], null },
        { "items", Enumerable.Range(1, 51).Select(i => new OrderItem(i, 1)).ToArray(), null },
        { "items[0].Quantity", [new(1, 0)], null },
        { "items[0].Quantity", [new(1, 101)], null },
        { "items[0].ProductId", [new(0, 1)], null },
        { "items", [new(1, 60), new(1, 41)], null },
        { "couponIds", [new(1, 1)], [0] },
        { "couponIds", [new(1, 1)], Enumerable.Range(1, 11).Select(i => (long)i).ToArray() },
    };

    [Theory]
    [MemberData(nameof(InvalidBaskets))]
    public async Task PlaceOrder_with_a_malformed_basket_is_a_validation_error(string field, OrderItem[] items, long[]? couponIds)
    {
        var error = await Assert.ThrowsAsync<ValidationException>(() => host.SendAsync(new PlaceOrder(1, items, couponIds)));

        Assert.Contains(error.Errors, e => e.PropertyName == field);
    }
}

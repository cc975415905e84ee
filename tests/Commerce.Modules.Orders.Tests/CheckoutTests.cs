using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Orders.Features.Checkout;
using Commerce.Testing;

namespace Commerce.Modules.Orders.Tests;

public sealed class CheckoutTests(OrdersHost host) : IClassFixture<OrdersHost>
{
    [Fact]
    public async Task Checkout_pays_with_points_in_one_step_and_every_module_shows_it()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        await host.Services.ChargeAsync(member.Id, 100_000);
        var product = await host.Services.NewProductAsync(price: 30_000, stock: 5);
        var coupon = await host.Services.IssueCouponAsync(member.Id,
            (await host.Services.NewCampaignAsync(host.Clock.GetUtcNow(), value: 5_000, target: CouponTerms.TargetProduct, productId: product.Id)).Id);

        var order = await host.SendAsync(new Checkout(member.Id, [new(product.Id, 2)], CouponIds: null));

        Assert.Equal(("PAID", "CHECKOUT", 60_000L, 5_000L, 55_000L), (order.Status, order.Flow, order.Subtotal, order.Discount, order.Total));
        Assert.Equal(("POINTS", "APPROVED", 55_000L), (order.Payment!.Method, order.Payment.Status, order.Payment.Amount));
        Assert.Equal(3, await host.Sql.StockAsync(product.Id));
        Assert.Equal("USED", await host.Sql.CouponStatusAsync(coupon));
        Assert.Equal(45_000, await host.Sql.BalanceAsync(member.Id));
        Assert.Equal([("CHARGE", 100_000L), ("USE", -55_000L)], await host.Sql.LedgerAsync(member.Id));
        Assert.Equal($"order-{order.Id}", await host.Sql.ScalarAsync<string>("SELECT reference FROM points.ledger WHERE member_id = @Id AND type = 'USE'", new { member.Id }));
        Assert.Equal(2, await host.Sql.UnitsSoldAsync(product.Id));
        Assert.Equal(["OrderPaid"], await host.Sql.OrderEventsAsync(order.Id));
        Assert.Equal("APPROVED", await host.Sql.ScalarAsync<string>("SELECT status FROM orders.payments WHERE order_id = @Id", new { order.Id }));
    }

    [Fact]
    public async Task Checkout_with_too_few_points_rolls_everything_back()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        await host.Services.ChargeAsync(member.Id, 10_000);
        var product = await host.Services.NewProductAsync(price: 30_000, stock: 5);
        var coupon = await host.Services.IssueCouponAsync(member.Id, (await host.Services.NewCampaignAsync(host.Clock.GetUtcNow(), value: 1_000)).Id);

        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new Checkout(member.Id, [new(product.Id, 1)], null)));

        Assert.Equal(("INSUFFICIENT_POINTS", 409), (error.Code, error.Status));
        Assert.Equal(5, await host.Sql.StockAsync(product.Id));
        Assert.Equal("AVAILABLE", await host.Sql.CouponStatusAsync(coupon));
        Assert.Equal(10_000, await host.Sql.BalanceAsync(member.Id));
        Assert.Equal(0, await host.Sql.UnitsSoldAsync(product.Id));
        Assert.Equal(0, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders WHERE member_id = @Id", new { member.Id }));
        Assert.Equal(0, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM platform.outbox WHERE type LIKE 'Order%' AND payload->'order'->>'memberId' = @Id::text", new { member.Id }));
    }

    [Fact]
    public async Task Checkout_of_a_discontinued_or_sold_out_product_or_with_an_unusable_coupon_changes_nothing()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        await host.Services.ChargeAsync(member.Id, 100_000);
        var product = await host.Services.NewProductAsync(price: 1_000, stock: 1);
        var gone = await host.Services.NewProductAsync(price: 1_000, stock: 10);
        await host.Services.DiscontinueAsync(gone.Id);
        var coupon = await host.Services.IssueCouponAsync(member.Id,
            (await host.Services.NewCampaignAsync(host.Clock.GetUtcNow(), value: 500, minOrderAmount: 50_000)).Id);

        var discontinued = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new Checkout(member.Id, [new(gone.Id, 1)], [])));
        var outOfStock = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new Checkout(member.Id, [new(product.Id, 2)], [])));
        var belowMinimum = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new Checkout(member.Id, [new(product.Id, 1)], [coupon])));

        Assert.Equal(["PRODUCT_DISCONTINUED", "OUT_OF_STOCK", "COUPON_NOT_USABLE"], new[] { discontinued.Code, outOfStock.Code, belowMinimum.Code });
        Assert.Equal((1L, 100_000L), (await host.Sql.StockAsync(product.Id), await host.Sql.BalanceAsync(member.Id)));
        Assert.Equal("AVAILABLE", await host.Sql.CouponStatusAsync(coupon));
    }

    [Fact]
    public async Task Checkout_fully_covered_by_a_coupon_costs_no_points()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        var product = await host.Services.NewProductAsync(price: 1_000, stock: 1);
        var coupon = await host.Services.IssueCouponAsync(member.Id, (await host.Services.NewCampaignAsync(host.Clock.GetUtcNow(), value: 5_000)).Id);

        var order = await host.SendAsync(new Checkout(member.Id, [new(product.Id, 1)], [coupon]));

        Assert.Equal(("PAID", 1_000L, 0L), (order.Status, order.Discount, order.Total));
        Assert.Empty(await host.Sql.LedgerAsync(member.Id));
    }
}

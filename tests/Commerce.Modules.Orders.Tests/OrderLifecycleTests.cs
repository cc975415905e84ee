using System.Net;
using System.Net.Http.Json;
using Commerce.Modules.Orders.Features.PlaceOrder;
using Commerce.Testing;

namespace Commerce.Modules.Orders.Tests;

/// <summary>Cancel, expiry and the release sweeper, with the real host's background jobs.</summary>
public sealed class OrderLifecycleTests(OrdersApp app) : IClassFixture<OrdersApp>
{
    private async Task<(TestMember Member, OrderView Order, long ProductId, long CouponId)> PlacedOrderAsync()
    {
        var member = await app.NewMemberAsync();
        var product = await app.Services.NewProductAsync(price: 10_000, stock: 10);
        var coupon = await app.Services.IssueCouponAsync(member.Id, (await app.Services.NewCampaignAsync(app.Clock.GetUtcNow(), value: 1_000)).Id);
        var order = await app.Services.SendAsync(new PlaceOrder(member.Id, [new(product.Id, 3)], [coupon]));
        return (member, order, product.Id, coupon);
    }

    [Fact]
    public async Task Cancel_gives_coupon_and_stock_back_and_a_second_cancel_answers_the_same()
    {
        var (member, order, productId, coupon) = await PlacedOrderAsync();
        var client = app.ClientFor(member);

        var cancelled = await client.PostAsync($"/api/orders/{order.Id}/cancel", null);
        var again = await client.PostAsync($"/api/orders/{order.Id}/cancel", null);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (cancelled.StatusCode, again.StatusCode));
        Assert.Equal(("CANCELLED", "AVAILABLE", 10L), (await app.Sql.OrderStatusAsync(order.Id), await app.Sql.CouponStatusAsync(coupon), await app.Sql.StockAsync(productId)));
        Assert.Equal(1, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM platform.outbox WHERE stream_id = @S AND type = 'OrderCancelled'", new { S = $"order-{order.Id}" }));
    }

    [Fact]
    public async Task Cancel_of_a_paid_order_is_409_and_of_someone_elses_404()
    {
        var (member, order, _, _) = await PlacedOrderAsync();
        await app.Services.ChargeAsync(member.Id, 100_000);
        await app.ClientFor(member).PostAsync($"/api/orders/{order.Id}/payment", null);

        var paid = await app.ClientFor(member).PostAsync($"/api/orders/{order.Id}/cancel", null);
        var stranger = await app.ClientFor(await app.NewMemberAsync()).PostAsync($"/api/orders/{order.Id}/cancel", null);

        Assert.Equal((HttpStatusCode.Conflict, HttpStatusCode.NotFound), (paid.StatusCode, stranger.StatusCode));
        Assert.Equal("ORDER_NOT_CANCELLABLE", (await paid.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_order_past_its_payment_deadline_expires_and_gives_coupon_and_stock_back()
    {
        var (_, order, productId, coupon) = await PlacedOrderAsync();
        Assert.Equal(7, await app.Sql.StockAsync(productId));

        app.Clock.Advance(TimeSpan.FromMinutes(16));

        await Eventually.TrueAsync(async () => await app.Sql.OrderStatusAsync(order.Id) == "EXPIRED", TimeSpan.FromSeconds(10));
        Assert.Equal(("AVAILABLE", 10L), (await app.Sql.CouponStatusAsync(coupon), await app.Sql.StockAsync(productId)));
        Assert.Equal(["OrderPlaced", "OrderExpired"], await app.Sql.OrderEventsAsync(order.Id));
    }

    [Fact]
    public async Task A_release_interrupted_by_a_crash_is_finished_by_the_sweeper()
    {
        var (_, order, productId, coupon) = await PlacedOrderAsync();
        // What a crash between PayOrder's failed payment and its release leaves behind.
        await app.Sql.ExecuteAsync("UPDATE orders.orders SET status = 'PAYMENT_FAILED', updated_at = now() - interval '1 minute' WHERE id = @Id", new { order.Id });

        await Eventually.TrueAsync(async () => await app.Sql.StockAsync(productId) == 10, TimeSpan.FromSeconds(10));
        Assert.Equal("AVAILABLE", await app.Sql.CouponStatusAsync(coupon));
        Assert.NotNull(await app.Sql.ScalarAsync<DateTime?>("SELECT released_at FROM orders.orders WHERE id = @Id", new { order.Id }));
    }
}

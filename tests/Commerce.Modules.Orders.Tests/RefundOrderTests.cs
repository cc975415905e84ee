using System.Net;
using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Orders.Features.Checkout;
using Commerce.Modules.Orders.Features.PayOrder;
using Commerce.Modules.Orders.Features.PlaceOrder;
using Commerce.Modules.Orders.Features.RefundOrder;
using Commerce.Modules.Orders.Payments;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Modules.Orders.Tests;

public sealed class RefundOrderTests(OrdersHost host) : IClassFixture<OrdersHost>
{
    private async Task<(TestMember Member, OrderView Order, long ProductId, long CouponId)> PaidOrderAsync(bool throughGateway)
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        await host.Services.ChargeAsync(member.Id, 50_000);
        var product = await host.Services.NewProductAsync(price: 10_000, stock: 10);
        var coupon = await host.Services.IssueCouponAsync(member.Id, (await host.Services.NewCampaignAsync(host.Clock.GetUtcNow(), value: 1_000)).Id);
        OrderView order;
        if (throughGateway)
        {
            var placed = await host.SendAsync(new PlaceOrder(member.Id, [new(product.Id, 2)], [coupon]));
            order = (await host.SendAsync(new PayOrder(member.Id, placed.Id))).Order;
        }
        else
        {
            order = await host.SendAsync(new Checkout(member.Id, [new(product.Id, 2)], [coupon]));
        }

        Assert.Equal("PAID", order.Status);
        return (member, order, product.Id, coupon);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_member_refunds_a_paid_order_and_gets_points_coupon_and_stock_back(bool throughGateway)
    {
        var (member, order, productId, coupon) = await PaidOrderAsync(throughGateway);

        var result = await host.SendAsync(new RefundOrder(member.Id, false, order.Id));

        Assert.Equal(("REFUNDED", "COMPLETED", 19_000L), (result.Order.Status, result.Refund.Status, result.Refund.Amount));
        Assert.Equal([("CHARGE", 50_000L), ("USE", -19_000L), ("REFUND", 19_000L)], await host.Sql.LedgerAsync(member.Id));
        Assert.Equal(("AVAILABLE", 10L, 0L), (await host.Sql.CouponStatusAsync(coupon), await host.Sql.StockAsync(productId), await host.Sql.UnitsSoldAsync(productId)));
        Assert.Equal(throughGateway ? ["OrderPlaced", "OrderPaying", "OrderPaid", "OrderRefunded"] : ["OrderPaid", "OrderRefunded"], await host.Sql.OrderEventsAsync(order.Id));
        // The simulated gateway's own record (gateway_sim): it gave the payment back only for a gateway payment.
        Assert.Equal(throughGateway ? 1 : 0, await host.Sql.ScalarAsync<long>(
            "SELECT count(*) FROM gateway_sim.refunds WHERE refund_id = @Id AND outcome = 'APPROVED'", new { result.Refund.Id }));
    }

    [Fact]
    public async Task Refunding_twice_answers_with_the_same_refund_and_gives_back_once()
    {
        var (member, order, productId, _) = await PaidOrderAsync(throughGateway: false);

        var first = await host.SendAsync(new RefundOrder(member.Id, false, order.Id));
        var again = await host.SendAsync(new RefundOrder(member.Id, false, order.Id));

        Assert.Equal(first.Refund.Id, again.Refund.Id);
        Assert.Equal(1, (await host.Sql.LedgerAsync(member.Id)).Count(e => e.Type == "REFUND"));
        Assert.Equal(10L, await host.Sql.StockAsync(productId));
    }

    [Fact]
    public async Task Only_a_paid_order_of_your_own_within_the_window_is_refundable_and_an_admin_refunds_any()
    {
        var (member, order, _, _) = await PaidOrderAsync(throughGateway: false);
        var stranger = await TestMembers.InsertOneAsync(host.Sql);
        var product = await host.Services.NewProductAsync(price: 1_000, stock: 5);
        var unpaid = await host.SendAsync(new PlaceOrder(member.Id, [new(product.Id, 1)], []));

        var notYours = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new RefundOrder(stranger.Id, false, order.Id)));
        var notPaid = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new RefundOrder(member.Id, false, unpaid.Id)));
        host.Clock.Advance(TimeSpan.FromDays(8));
        var tooLate = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new RefundOrder(member.Id, false, order.Id)));
        var byAdmin = await host.SendAsync(new RefundOrder(stranger.Id, true, order.Id));

        Assert.Equal(("ORDER_NOT_FOUND", 404), (notYours.Code, notYours.Status));
        Assert.Equal(("ORDER_NOT_REFUNDABLE", 409), (notPaid.Code, notPaid.Status));
        Assert.Equal(("REFUND_WINDOW_CLOSED", 409), (tooLate.Code, tooLate.Status));
        Assert.Equal(("REFUNDED", stranger.Id), (byAdmin.Order.Status, byAdmin.Refund.RequestedById));
    }

    [Fact]
    public async Task Fifty_parallel_refunds_of_one_order_refund_it_once()
    {
        var (member, order, productId, coupon) = await PaidOrderAsync(throughGateway: true);

        var results = await Concurrently.RunAsync(50, async _ =>
        {
            try
            {
                return (await host.SendAsync(new RefundOrder(member.Id, false, order.Id))).Refund.Id.ToString();
            }
            catch (AppException e)
            {
                return e.Code;
            }
        });

        // Every answer names the one refund (or, for the few that lose the row lock's queue, says so).
        var refundIds = results.Where(r => Guid.TryParse(r, out _)).Distinct().ToList();
        Assert.Single(refundIds);
        Assert.All(results.Where(r => !Guid.TryParse(r, out _)), code => Assert.Equal("LOCK_TIMEOUT", code));
        Assert.Equal(1, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.refunds WHERE order_id = @Id", new { order.Id }));
        Assert.Equal(1, (await host.Sql.LedgerAsync(member.Id)).Count(e => e.Type == "REFUND"));
        Assert.Equal(50_000, await host.Sql.BalanceAsync(member.Id));
        Assert.Equal(("AVAILABLE", 10L, 0L), (await host.Sql.CouponStatusAsync(coupon), await host.Sql.StockAsync(productId), await host.Sql.UnitsSoldAsync(productId)));
        Assert.Equal(["OrderPlaced", "OrderPaying", "OrderPaid", "OrderRefunded"], await host.Sql.OrderEventsAsync(order.Id));
        Assert.Equal([Guid.Parse(refundIds[0])], await host.Sql.QueryAsync<Guid>(
            "SELECT r.refund_id FROM gateway_sim.refunds r JOIN orders.payments p ON p.id = r.payment_id WHERE p.order_id = @Id", new { order.Id }));
    }
}

/// <summary>Refunds through the HTTP adapter while the gateway fails: the order waits REFUNDING, the reconciler finishes it.</summary>
public sealed class RefundGatewayFaultTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    [Fact]
    public async Task A_refund_the_gateway_did_not_answer_is_202_and_the_reconciler_completes_it_once()
    {
        var member = await app.NewMemberAsync();
        await app.Services.ChargeAsync(member.Id, 100_000);
        var product = await app.Services.NewProductAsync(price: 10_000, stock: 10);
        var placed = await app.Services.SendAsync(new PlaceOrder(member.Id, [new(product.Id, 3)], []));
        var client = app.ClientFor(member);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/orders/{placed.Id}/payment", null)).StatusCode);

        app.Gateway.RefundsFail = true;
        var response = await client.PostAsync($"/api/orders/{placed.Id}/refund", null);
        var again = await client.PostAsync($"/api/orders/{placed.Id}/refund", null);

        Assert.Equal((HttpStatusCode.Accepted, HttpStatusCode.Accepted), (response.StatusCode, again.StatusCode));
        Assert.Equal(("REFUNDING", 7L), (await app.Sql.OrderStatusAsync(placed.Id), await app.Sql.StockAsync(product.Id)));
        app.Gateway.RefundsFail = false;
        await Eventually.TrueAsync(async () =>
        {
            app.Clock.Advance(TimeSpan.FromSeconds(1));
            return await app.Sql.OrderStatusAsync(placed.Id) == "REFUNDED";
        }, TimeSpan.FromSeconds(20), "the refund reconciler finishes the refund");

        var refundId = await app.Sql.ScalarAsync<Guid>("SELECT id FROM orders.refunds WHERE order_id = @Id", new { placed.Id });
        Assert.Equal(app.Gateway.Refunds[refundId], await app.Sql.ScalarAsync<Guid>("SELECT payment_id FROM orders.refunds WHERE id = @refundId", new { refundId }));
        Assert.Single(app.Gateway.Refunds);
        Assert.Equal((10L, 100_000L), (await app.Sql.StockAsync(product.Id),
            await app.Sql.ScalarAsync<long>("SELECT balance FROM points.wallets WHERE member_id = @Id", new { member.Id })));
    }
}

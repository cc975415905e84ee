using System.Net;
using Commerce.Modules.Orders.Features.PlaceOrder;
using Commerce.Testing;

namespace Commerce.Modules.Orders.Tests;

/// <summary>
/// Payment through the HTTP adapter while the gateway misbehaves. Whatever happens, once the reconciler has run
/// no order is PAYING, and the gateway's records agree with ours: charged if and only if the order is PAID.
/// </summary>
public sealed class GatewayFaultTests(GatewayApp app) : IClassFixture<GatewayApp>
{
    private async Task<(TestMember Member, OrderView Order, long ProductId)> PlacedOrderAsync()
    {
        var member = await app.NewMemberAsync();
        await app.Services.ChargeAsync(member.Id, 100_000);
        var product = await app.Services.NewProductAsync(price: 10_000, stock: 10);
        var order = await app.Services.SendAsync(new PlaceOrder(member.Id, [new(product.Id, 1)], []));
        return (member, order, product.Id);
    }

    private async Task AssertGatewayAndOrdersAgreeAsync()
    {
        // The clock moves a second per poll, so the reconciler's checks (and their backoff) come due.
        await Eventually.TrueAsync(async () =>
        {
            app.Clock.Advance(TimeSpan.FromSeconds(1));
            return await app.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders WHERE status = 'PAYING'") == 0;
        }, TimeSpan.FromSeconds(20), "the reconciler finishes every PAYING order");
        var payments = await app.Sql.QueryAsync<(Guid Id, string Status, string OrderStatus)>(
            "SELECT p.id, p.status, o.status FROM orders.payments p JOIN orders.orders o ON o.id = p.order_id WHERE p.method = 'GATEWAY'");
        foreach (var (id, status, orderStatus) in payments)
        {
            var charged = app.Gateway.Charges.TryGetValue(id, out var gatewayStatus) && gatewayStatus == "APPROVED";
            Assert.Equal(charged, orderStatus == "PAID");
            Assert.Equal(charged, status == "APPROVED");
        }
    }

    [Fact]
    public async Task Every_gateway_fault_ends_with_the_gateway_and_the_orders_agreeing()
    {
        var outcomes = new Dictionary<FakePaymentGateway.Mode, HttpStatusCode>();
        foreach (var mode in Enum.GetValues<FakePaymentGateway.Mode>())
        {
            app.Gateway.Behaviour = mode;
            app.Gateway.Delay = mode == FakePaymentGateway.Mode.Slow ? TimeSpan.FromMilliseconds(300) : TimeSpan.FromSeconds(5);
            var (member, order, _) = await PlacedOrderAsync();
            outcomes[mode] = (await app.ClientFor(member).PostAsync($"/api/orders/{order.Id}/payment", null)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, outcomes[FakePaymentGateway.Mode.Approve]);
        Assert.Equal(HttpStatusCode.PaymentRequired, outcomes[FakePaymentGateway.Mode.Decline]);
        Assert.Equal(HttpStatusCode.Accepted, outcomes[FakePaymentGateway.Mode.ServerError]);
        Assert.Equal(HttpStatusCode.Accepted, outcomes[FakePaymentGateway.Mode.TimeoutAfterCharge]);
        Assert.Equal(HttpStatusCode.OK, outcomes[FakePaymentGateway.Mode.Slow]);

        // The 500 charged nothing: the reconciler finds no record and approves again under the same payment id.
        app.Gateway.Behaviour = FakePaymentGateway.Mode.Approve;
        await AssertGatewayAndOrdersAgreeAsync();
        Assert.Equal(4, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders o JOIN orders.payments p ON p.order_id = o.id WHERE o.status = 'PAID' AND p.method = 'GATEWAY'"));
        Assert.Equal(4, app.Gateway.Charges.Count(c => c.Value == "APPROVED"));
    }

    [Fact]
    public async Task A_gateway_that_keeps_failing_leaves_the_order_paying_until_it_answers_then_the_points_add_up()
    {
        app.Gateway.Behaviour = FakePaymentGateway.Mode.ServerError;
        var (member, order, _) = await PlacedOrderAsync();

        var response = await app.ClientFor(member).PostAsync($"/api/orders/{order.Id}/payment", null);
        var approvesSoFar = app.Gateway.ApproveCalls;
        app.Clock.Advance(TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(() => Task.FromResult(app.Gateway.ApproveCalls > approvesSoFar), TimeSpan.FromSeconds(10), "the reconciler tries again");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("PAYING", await app.OrderStatus(order.Id));
        app.Gateway.Behaviour = FakePaymentGateway.Mode.Decline;
        await AssertGatewayAndOrdersAgreeAsync();
        Assert.Equal("PAYMENT_FAILED", await app.OrderStatus(order.Id));
        Assert.Equal(100_000, await app.Sql.ScalarAsync<long>("SELECT balance FROM points.wallets WHERE member_id = @Id", new { member.Id }));
        await Eventually.TrueAsync(async () => await app.Sql.ScalarAsync<DateTime?>("SELECT released_at FROM orders.orders WHERE id = @Id", new { order.Id }) is not null,
            TimeSpan.FromSeconds(5));
    }
}

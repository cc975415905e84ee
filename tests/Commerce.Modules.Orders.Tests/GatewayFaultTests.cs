using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Modules.Orders.Features.PlaceOrder;
using Commerce.Testing;

namespace Commerce.Modules.Orders.Tests;

/// <summary>
/// Payment through the HTTP adapter while the gateway misbehaves. Whatever happens, once the reconciler has run
/// no order is PAYING, and the gateway's records agree with ours: charged if and only if the order is PAID.
/// </summary>
[StartFirst]
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
        Assert.Equal(HttpStatusCode.Accepted, outcomes[FakePaymentGateway.Mode.LateApprove]);

        // The 500 charged nothing: the reconciler finds no record and approves again under the same payment id. The
        // late approve charges after our timeout: the reconciler finds it approved.
        app.Gateway.Behaviour = FakePaymentGateway.Mode.Approve;
        await AssertGatewayAndOrdersAgreeAsync();
        Assert.Equal(5, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders o JOIN orders.payments p ON p.order_id = o.id WHERE o.status = 'PAID' AND p.method = 'GATEWAY'"));
        Assert.Equal(5, app.Gateway.Charges.Count(c => c.Value == "APPROVED"));
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
        Assert.Equal("PAYING", await app.Sql.OrderStatusAsync(order.Id));
        app.Gateway.Behaviour = FakePaymentGateway.Mode.Decline;
        await AssertGatewayAndOrdersAgreeAsync();
        Assert.Equal("PAYMENT_FAILED", await app.Sql.OrderStatusAsync(order.Id));
        Assert.Equal(100_000, await app.Sql.ScalarAsync<long>("SELECT balance FROM points.wallets WHERE member_id = @Id", new { member.Id }));
        await Eventually.TrueAsync(async () => await app.Sql.ScalarAsync<DateTime?>("SELECT released_at FROM orders.orders WHERE id = @Id", new { order.Id }) is not null,
            TimeSpan.FromSeconds(5));
    }

    private async Task<long> RefundsAsync(long memberId) =>
        await app.Sql.ScalarAsync<long>("SELECT count(*) FROM points.ledger WHERE member_id = @memberId AND type = 'REFUND'", new { memberId });

    private async Task<(string Status, JsonElement Payments)> ReadyAsync()
    {
        var report = await app.Anonymous().GetFromJsonAsync<JsonElement>("/health/ready");
        return (report.GetProperty("status").GetString()!, report.GetProperty("checks").GetProperty("payments"));
    }

    [Fact]
    public async Task A_409_to_the_reconcilers_approve_while_the_first_is_in_flight_is_no_decline_and_the_late_approval_pays_the_order()
    {
        // The gateway keeps processing the first approve after our 2-s timeout and charges at 4.5 s; the reconciler
        // (due 3 s after the start) finds no record yet, approves again under the same id and gets 409.
        app.Gateway.Behaviour = FakePaymentGateway.Mode.LateApprove;
        app.Gateway.Delay = TimeSpan.FromSeconds(4.5);
        var (member, order, _) = await PlacedOrderAsync();
        var conflicts = app.Gateway.Conflicts;

        var response = await app.ClientFor(member).PostAsync($"/api/orders/{order.Id}/payment", null);
        app.Clock.Advance(TimeSpan.FromSeconds(4));
        await Eventually.TrueAsync(() => Task.FromResult(app.Gateway.Conflicts > conflicts), TimeSpan.FromSeconds(10), "the reconciler's duplicate gets 409");
        var statusAfterConflict = await app.Sql.OrderStatusAsync(order.Id);
        var refundsAfterConflict = await RefundsAsync(member.Id);
        app.Gateway.Behaviour = FakePaymentGateway.Mode.Approve;
        await AssertGatewayAndOrdersAgreeAsync();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(("PAYING", 0L), (statusAfterConflict, refundsAfterConflict));
        Assert.Equal(("PAID", 0L), (await app.Sql.OrderStatusAsync(order.Id), await RefundsAsync(member.Id)));
        Assert.Equal(90_000, await app.Sql.ScalarAsync<long>("SELECT balance FROM points.wallets WHERE member_id = @Id", new { member.Id }));
    }

    [Fact]
    public async Task Status_checks_answered_401_for_a_while_leave_the_order_paying_raise_the_alert_and_the_order_is_paid_once_they_answer()
    {
        // Charged, then silent past our timeout; then the gateway rotates its credentials and answers 401 to status checks.
        app.Gateway.Behaviour = FakePaymentGateway.Mode.TimeoutAfterCharge;
        app.Gateway.Delay = TimeSpan.FromSeconds(3);
        app.Gateway.StatusCheckAnswer = 401;
        try
        {
            var (member, order, _) = await PlacedOrderAsync();
            var response = await app.ClientFor(member).PostAsync($"/api/orders/{order.Id}/payment", null);
            var checks = app.Gateway.StatusCalls;
            await Eventually.TrueAsync(() =>
            {
                app.Clock.Advance(TimeSpan.FromSeconds(1));
                return Task.FromResult(app.Gateway.StatusCalls >= checks + 3);
            }, TimeSpan.FromSeconds(20), "three status checks answered 401");
            var (healthyStatus, _) = await ReadyAsync();
            var statusDuring401 = (await app.Sql.OrderStatusAsync(order.Id), await RefundsAsync(member.Id));
            app.Clock.Advance(TimeSpan.FromMinutes(11));
            var (alertStatus, alert) = await ReadyAsync();

            app.Gateway.StatusCheckAnswer = null;
            await AssertGatewayAndOrdersAgreeAsync();
            var (afterStatus, after) = await ReadyAsync();

            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            Assert.Equal(("PAYING", 0L), statusDuring401);
            Assert.Equal("Healthy", healthyStatus);
            Assert.Equal(("Degraded", "Degraded", 1L), (alertStatus, alert.GetProperty("status").GetString(), alert.GetProperty("data").GetProperty("overdue").GetInt64()));
            Assert.Equal(("PAID", 0L), (await app.Sql.OrderStatusAsync(order.Id), await RefundsAsync(member.Id)));
            Assert.Equal(("Healthy", 0L), (after.GetProperty("status").GetString()!, after.GetProperty("data").GetProperty("unknown").GetInt64()));
            Assert.Equal("Healthy", afterStatus);
        }
        finally
        {
            app.Gateway.StatusCheckAnswer = null;
        }
    }
}

using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Orders.Features.CancelOrder;
using Commerce.Modules.Orders.Features.PayOrder;
using Commerce.Modules.Orders.Features.PlaceOrder;
using Commerce.Modules.Orders.Features.ReconcilePayments;
using Commerce.Modules.Orders.Payments;
using Commerce.Testing;
using FluentValidation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.Modules.Orders.Tests;

public sealed class PayOrderTests(OrdersHost host) : IClassFixture<OrdersHost>
{
    private async Task<(TestMember Member, OrderView Order, long ProductId, long CouponId)> PlacedOrderAsync(long price, long points)
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        if (points > 0)
        {
            await host.Services.ChargeAsync(member.Id, points);
        }

        var product = await host.Services.NewProductAsync(price: price, stock: 10);
        var coupon = await host.Services.IssueCouponAsync(member.Id, (await host.Services.NewCampaignAsync(host.Clock.GetUtcNow(), value: 1_000)).Id);
        var order = await host.SendAsync(new PlaceOrder(member.Id, [new(product.Id, 1)], [coupon]));
        return (member, order, product.Id, coupon);
    }

    private IPaymentGateway Gateway => host.Services.GetRequiredService<IPaymentGateway>();

    [Fact]
    public async Task PayOrder_approved_by_the_gateway_takes_the_points_and_marks_the_order_paid()
    {
        var (member, order, productId, coupon) = await PlacedOrderAsync(price: 20_000, points: 50_000);

        var result = await host.SendAsync(new PayOrder(member.Id, order.Id));

        Assert.Equal(("PAID", "APPROVED", "GATEWAY", 19_000L), (result.Order.Status, result.Order.Payment!.Status, result.Order.Payment.Method, result.Order.Payment.Amount));
        Assert.Equal(31_000, result.Balance);
        Assert.Equal([("CHARGE", 50_000L), ("USE", -19_000L)], await host.Sql.LedgerAsync(member.Id));
        Assert.Equal(("USED", 9L, 1L), (await host.Sql.CouponStatusAsync(coupon), await host.Sql.StockAsync(productId), await host.Sql.UnitsSoldAsync(productId)));
        Assert.Equal(["OrderPlaced", "OrderPaying", "OrderPaid"], await host.Sql.OrderEventsAsync(order.Id));
        Assert.Equal(GatewayOutcome.Approved, (await Gateway.GetStatusAsync(result.Order.Payment.Id, CancellationToken.None)).Outcome);
    }

    [Fact]
    public async Task PayOrder_a_second_time_answers_with_the_payment_and_never_charges_again()
    {
        var (member, order, _, _) = await PlacedOrderAsync(price: 20_000, points: 50_000);
        var first = await host.SendAsync(new PayOrder(member.Id, order.Id));

        var again = await host.SendAsync(new PayOrder(member.Id, order.Id));

        Assert.Equal(("PAID", first.Order.Payment!.Id), (again.Order.Status, again.Order.Payment!.Id));
        Assert.Equal(31_000, await host.Sql.BalanceAsync(member.Id));
        Assert.Equal(1, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.payments WHERE order_id = @Id", new { order.Id }));
    }

    [Fact]
    public async Task PayOrder_with_too_few_points_fails_the_order_and_gives_coupon_and_stock_back()
    {
        var (member, order, productId, coupon) = await PlacedOrderAsync(price: 20_000, points: 5_000);

        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new PayOrder(member.Id, order.Id)));

        Assert.Equal(("INSUFFICIENT_POINTS", 409), (error.Code, error.Status));
        Assert.Equal("PAYMENT_FAILED", await host.Sql.OrderStatusAsync(order.Id));
        Assert.Equal(("AVAILABLE", 10L, 5_000L), (await host.Sql.CouponStatusAsync(coupon), await host.Sql.StockAsync(productId), await host.Sql.BalanceAsync(member.Id)));
        Assert.Equal("REJECTED", await host.Sql.ScalarAsync<string>("SELECT status FROM orders.payments WHERE order_id = @Id", new { order.Id }));
        Assert.NotNull(await host.Sql.ScalarAsync<DateTime?>("SELECT released_at FROM orders.orders WHERE id = @Id", new { order.Id }));
        Assert.Equal(["OrderPlaced", "OrderPaymentFailed", "OrderReleased"], await host.Sql.OrderEventsAsync(order.Id));
    }

    [Fact]
    public async Task PayOrder_declined_by_the_gateway_refunds_the_points_and_gives_coupon_and_stock_back()
    {
        // The host's simulated gateway declines anything above 900,000.
        var (member, order, productId, coupon) = await PlacedOrderAsync(price: 1_000_000, points: 1_000_000);

        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new PayOrder(member.Id, order.Id)));

        Assert.Equal(("PAYMENT_DECLINED", 402), (error.Code, error.Status));
        Assert.Equal("Amount above the limit of 900000.", error.Extensions["reason"]);
        Assert.Equal("PAYMENT_FAILED", await host.Sql.OrderStatusAsync(order.Id));
        Assert.Equal([("CHARGE", 1_000_000L), ("USE", -999_000L), ("REFUND", 999_000L)], await host.Sql.LedgerAsync(member.Id));
        Assert.Equal(("AVAILABLE", 10L, 0L), (await host.Sql.CouponStatusAsync(coupon), await host.Sql.StockAsync(productId), await host.Sql.UnitsSoldAsync(productId)));
        Assert.Equal(["OrderPlaced", "OrderPaying", "OrderPaymentFailed", "OrderReleased"], await host.Sql.OrderEventsAsync(order.Id));
    }

    [Fact]
    public async Task A_retry_with_the_same_key_after_a_decline_replays_the_decline()
    {
        var (member, order, _, _) = await PlacedOrderAsync(price: 1_000_000, points: 1_000_000);
        await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new PayOrder(member.Id, order.Id, "pay-1")));

        var sameKey = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new PayOrder(member.Id, order.Id, "pay-1")));
        var otherKey = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new PayOrder(member.Id, order.Id, "pay-2")));

        Assert.Equal(("PAYMENT_DECLINED", 402), (sameKey.Code, sameKey.Status));
        Assert.Equal(("ORDER_NOT_PAYABLE", 409), (otherKey.Code, otherKey.Status));
        Assert.Equal(3, (await host.Sql.LedgerAsync(member.Id)).Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("too-long")]
    public async Task PayOrder_with_a_key_outside_the_common_idempotency_key_rule_is_refused_and_takes_nothing(string key)
    {
        key = key == "too-long" ? new string('k', 101) : key;
        var (member, order, _, _) = await PlacedOrderAsync(price: 20_000, points: 50_000);

        var error = await Assert.ThrowsAsync<ValidationException>(() => host.SendAsync(new PayOrder(member.Id, order.Id, key)));

        Assert.Equal("Idempotency-Key", Assert.Single(error.Errors).PropertyName);
        Assert.Equal(50_000, await host.Sql.BalanceAsync(member.Id));
    }

    [Fact]
    public async Task PayOrder_of_another_members_order_is_not_found_and_of_a_cancelled_or_late_one_not_payable()
    {
        var (member, order, _, _) = await PlacedOrderAsync(price: 20_000, points: 50_000);
        var (_, late, _, _) = await PlacedOrderAsync(price: 20_000, points: 50_000);
        var stranger = await TestMembers.InsertOneAsync(host.Sql);
        await host.SendAsync(new CancelOrder(member.Id, order.Id));

        var notFound = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new PayOrder(stranger.Id, order.Id)));
        var cancelled = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new PayOrder(member.Id, order.Id)));
        host.Clock.Advance(TimeSpan.FromMinutes(16));
        var tooLate = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new PayOrder(late.MemberId, late.Id)));

        Assert.Equal(("ORDER_NOT_FOUND", 404), (notFound.Code, notFound.Status));
        Assert.Equal(("ORDER_NOT_PAYABLE", 409), (cancelled.Code, cancelled.Status));
        Assert.Equal(("ORDER_NOT_PAYABLE", 409), (tooLate.Code, tooLate.Status));
        Assert.Equal(50_000, await host.Sql.BalanceAsync(member.Id));
    }

    [Fact]
    public async Task An_approval_after_the_decline_and_refund_is_recorded_and_alerted_never_ignored()
    {
        var (member, order, _, _) = await PlacedOrderAsync(price: 1_000_000, points: 1_000_000);
        await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new PayOrder(member.Id, order.Id)));
        var paymentId = await host.Sql.ScalarAsync<Guid>("SELECT id FROM orders.payments WHERE order_id = @Id", new { order.Id });
        var metrics = host.Services.GetRequiredService<PaymentMetrics>();
        await using var scope = host.Services.CreateAsyncScope();
        var session = scope.ServiceProvider.GetRequiredService<DbSession>();
        var before = (await metrics.RefreshAsync(session, CancellationToken.None)).LateApprovals;

        // The gateway contradicts itself: a status check now says APPROVED (twice: recorded once).
        var approved = new GatewayAnswer(GatewayOutcome.Approved, Reference: "pg-late-1");
        await host.SendAsync(new CompletePayment(paymentId, order.Id, approved));
        await host.SendAsync(new CompletePayment(paymentId, order.Id, approved));

        var late = await host.Sql.SingleAsync<(string Status, string Reference, bool Recorded)>(
            "SELECT status, late_reference, late_approved_at IS NOT NULL FROM orders.payments WHERE id = @paymentId", new { paymentId });
        Assert.Equal(("DECLINED", "pg-late-1", true), late);
        Assert.Equal(before + 1, (await metrics.RefreshAsync(session, CancellationToken.None)).LateApprovals);
        Assert.Equal("PAYMENT_FAILED", await host.Sql.OrderStatusAsync(order.Id));
    }

    [Fact]
    public async Task A_late_approval_is_refunded_through_the_gateway_once_and_then_resolved()
    {
        var (member, order, _, _) = await PlacedOrderAsync(price: 1_000_000, points: 1_000_000);
        await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new PayOrder(member.Id, order.Id)));
        var paymentId = await host.Sql.ScalarAsync<Guid>("SELECT id FROM orders.payments WHERE order_id = @Id", new { order.Id });
        var metrics = host.Services.GetRequiredService<PaymentMetrics>();
        await using var scope = host.Services.CreateAsyncScope();
        var session = scope.ServiceProvider.GetRequiredService<DbSession>();

        // The (simulated) gateway changes its mind and charges after all; its status check says so and we record it.
        await host.Sql.ExecuteAsync("UPDATE gateway_sim.payments SET outcome = 'APPROVED', reference = 'pg-late-2' WHERE payment_id = @paymentId", new { paymentId });
        await host.SendAsync(new CompletePayment(paymentId, order.Id, new GatewayAnswer(GatewayOutcome.Approved, Reference: "pg-late-2")));
        Assert.True((await metrics.RefreshAsync(session, CancellationToken.None)).LateApprovals > 0);

        // Twice, as two rounds (or two instances) would: the background reconciler may take part too.
        var refunds = host.Services.GetRequiredService<LateApprovalRefunds>();
        await refunds.RunAsync(session, CancellationToken.None);
        Assert.Equal(0, await refunds.RunAsync(session, CancellationToken.None));

        Assert.True(await host.Sql.ScalarAsync<bool>("SELECT late_resolved_at IS NOT NULL FROM orders.payments WHERE id = @paymentId", new { paymentId }));
        var charged = await host.Sql.ScalarAsync<long>("SELECT amount FROM orders.payments WHERE id = @paymentId", new { paymentId });
        Assert.Equal([(LateApprovalRefunds.RefundIdFor(paymentId), "APPROVED", charged)], await host.Sql.QueryAsync<(Guid, string, long)>(
            "SELECT refund_id, outcome, amount FROM gateway_sim.refunds WHERE payment_id = @paymentId", new { paymentId }));
        Assert.Equal("PAYMENT_FAILED", await host.Sql.OrderStatusAsync(order.Id));
    }

    [Fact]
    public async Task The_simulated_gateway_is_one_outside_system_for_every_instance_and_across_restarts()
    {
        var (member, order, _, _) = await PlacedOrderAsync(price: 20_000, points: 50_000);
        var paymentId = (await host.SendAsync(new PayOrder(member.Id, order.Id))).Order.Payment!.Id;

        // Another instance (or this one after a restart): its own gateway adapter and connections, the same records.
        await using var otherConnections = NpgsqlDataSource.Create(host.Sql.ConnectionString);
        var other = new SimulatedPaymentGateway(otherConnections, host.Services.GetRequiredService<IOptionsMonitor<PaymentGatewayOptions>>(), TimeProvider.System);
        var status = await other.GetStatusAsync(paymentId, CancellationToken.None);
        // Approving the same payment id again keeps the first outcome, though this amount would now be declined.
        var again = await other.ApproveAsync(new GatewayPayment(paymentId, order.Id, member.Id, 999_999_999), CancellationToken.None);
        var unheardOf = await other.GetStatusAsync(Guid.CreateVersion7(), CancellationToken.None);

        Assert.Equal((GatewayOutcome.Approved, $"sim-{paymentId:N}"), (status.Outcome, status.Reference));
        Assert.Equal(GatewayOutcome.Approved, again.Outcome);
        Assert.Equal(GatewayOutcome.NotFound, unheardOf.Outcome);
        Assert.Equal(1, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM gateway_sim.payments WHERE payment_id = @paymentId", new { paymentId }));
    }
}

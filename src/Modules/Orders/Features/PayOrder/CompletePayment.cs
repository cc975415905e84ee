using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Modules.Orders.Payments;
using Commerce.Modules.Points.Contracts;
using Dapper;
using MediatR;
using Microsoft.Extensions.Logging;

namespace Commerce.Modules.Orders.Features.PayOrder;

/// <summary>
/// Step 3 of PayOrder, one transaction, also sent by the reconciler once the gateway's answer is known. Idempotent.
/// Approved: PAID, on the order row alone. Declined: the points refunded (wallet), PAYMENT_FAILED; the release follows.
/// </summary>
internal sealed record CompletePayment(Guid PaymentId, long OrderId, GatewayAnswer Answer) : ICommand<CompletedPayment>;

internal sealed record CompletedPayment(OrderView Order, long? Balance);

internal sealed class CompletePaymentHandler(
    DbSession session,
    IPointWallet wallet,
    Outbox outbox,
    PaymentMetrics metrics,
    TimeProvider clock,
    ILogger<CompletePaymentHandler> logger) : IRequestHandler<CompletePayment, CompletedPayment>
{
    private const string PaymentSql = """
        SELECT id, method, status, amount, failure_code, failure_reason, created_at, completed_at, member_id, points_ledger_id
        FROM orders.payments WHERE id = @PaymentId AND order_id = @OrderId
        """;

    private const string LateApprovalSql = """
        UPDATE orders.payments SET late_approved_at = @Now, late_reference = @Reference
        WHERE id = @PaymentId AND late_approved_at IS NULL
        """;

    // PAID with the order row alone: the units sold (product rows) follow in RecordSale.
    private const string ApproveSql = """
        UPDATE orders.payments SET status = 'APPROVED', gateway_reference = @Reference, completed_at = @Now, next_check_at = NULL
        WHERE id = @PaymentId;
        UPDATE orders.orders SET status = 'PAID', updated_at = @Now, paid_at = @Now, sale_pending = true WHERE id = @OrderId;
        """;

    private const string DeclineSql = """
        UPDATE orders.payments SET status = 'DECLINED', failure_code = 'PAYMENT_DECLINED', failure_reason = @Reason,
               refund_ledger_id = @RefundLedgerId, completed_at = @Now, next_check_at = NULL
        WHERE id = @PaymentId
        """;

    public async Task<CompletedPayment> Handle(CompletePayment command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();

        // 1. Lock the order row first (global lock order 1): every change of a payment happens under its order's lock.
        var order = await OrderStore.LockAsync(session, command.OrderId, ct)
            ?? throw OrderStore.NotFound(command.OrderId);
        var payment = await session.Connection.QuerySingleAsync<PaymentRow>(session.Command(PaymentSql, command, ct));
        var lines = await OrderStore.LinesAsync(session, order.Id, ct);

        // 2. Finished already (by the request or by the reconciler): nothing to do twice. But an APPROVED for a
        //    payment we declined and refunded means the gateway charged a customer whose order failed: never ignored.
        if (payment.Status != PaymentStatus.Pending)
        {
            if (payment.Status == PaymentStatus.Declined && command.Answer.Outcome == GatewayOutcome.Approved
                && await session.Connection.ExecuteAsync(session.Command(LateApprovalSql, new { command.PaymentId, command.Answer.Reference, Now = now }, ct)) == 1)
            {
                session.AfterCommit(metrics.RecordLateApproval);
                logger.LogError("The gateway approved payment {PaymentId} of order {OrderId} (reference {Reference}) after it had been declined and refunded: " +
                                "recorded as a late approval; the customer must be refunded through the gateway", command.PaymentId, order.Id, command.Answer.Reference);
            }

            return new CompletedPayment(OrderStore.View(order, lines, payment.View), null);
        }

        if (command.Answer.Outcome == GatewayOutcome.Approved)
        {
            // 3a. Approved: PAID, on the order row alone; the units sold follow in their own step (RecordSale).
            await session.Connection.ExecuteAsync(session.Command(ApproveSql, new { command.PaymentId, command.OrderId, command.Answer.Reference, Now = now }, ct));
            order = order with { Status = OrderStatus.Paid, PaidAt = now };
            var paid = OrderStore.View(order, lines, payment.View with { Status = PaymentStatus.Approved, CompletedAt = now });
            outbox.Record(new OrderPaid(paid));
            return new CompletedPayment(paid, null);
        }

        // 3b. Declined: lock the wallet and give the points back (Points: global lock order 4); coupons and stock
        //     follow in the release (ReleaseOrder), which must not take them after the wallet.
        var refund = await wallet.RefundAsync(payment.MemberId, payment.Amount, $"order-{order.Id}", ct);
        await session.Connection.ExecuteAsync(session.Command(DeclineSql,
            new { command.PaymentId, command.Answer.Reason, RefundLedgerId = refund.LedgerEntryId, Now = now }, ct));
        order = await OrderStore.SetStatusAsync(session, order, OrderStatus.PaymentFailed, now, ct);
        var failed = OrderStore.View(order, lines, payment.View with
        {
            Status = PaymentStatus.Declined,
            FailureCode = OrderErrors.PaymentDeclined,
            FailureReason = command.Answer.Reason,
            CompletedAt = now,
        });
        outbox.Record(new OrderPaymentFailed(failed));
        return new CompletedPayment(failed, refund.BalanceAfter);
    }

    private sealed record PaymentRow(
        Guid Id, string Method, string Status, long Amount, string? FailureCode, string? FailureReason,
        DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt, long MemberId, long? PointsLedgerId)
    {
        public PaymentView View => new(Id, Method, Status, Amount, FailureCode, FailureReason, CreatedAt, CompletedAt);
    }
}

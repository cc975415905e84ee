using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Modules.Catalog.Contracts;
using Commerce.Modules.Points.Contracts;
using Dapper;
using MediatR;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Orders.Features.PayOrder;

/// <summary>
/// Step 1 of PayOrder, one transaction: locks the order row, then the wallet (global lock order 1, then 4), takes the
/// points and records the attempt (payment PENDING, order PAYING). <see cref="StartedPayment.Rejection"/> is set when
/// the points were short: that failure is committed, then thrown.
/// </summary>
internal sealed record StartPayment(long MemberId, long OrderId, string? IdempotencyKey) : ICommand<StartedPayment>;

internal sealed record StartedPayment(OrderView Order, PaymentView? Payment, long? Balance, AppException? Rejection = null);

internal sealed class StartPaymentHandler(
    DbSession session,
    IPointWallet wallet,
    IProductStock stock,
    Outbox outbox,
    IOptions<OrdersOptions> options,
    TimeProvider clock) : IRequestHandler<StartPayment, StartedPayment>
{
    private const string PaymentByKeySql = """
        SELECT id, method, status, amount, failure_code, failure_reason, created_at, completed_at
        FROM orders.payments WHERE order_id = @OrderId AND idempotency_key = @IdempotencyKey
        ORDER BY created_at DESC LIMIT 1
        """;

    private const string InsertPaymentSql = """
        INSERT INTO orders.payments (id, order_id, member_id, method, amount, status, idempotency_key, points_ledger_id,
                                     failure_code, failure_reason, next_check_at, created_at, completed_at)
        VALUES (@Id, @OrderId, @MemberId, @Method, @Amount, @Status, @IdempotencyKey, @LedgerId,
                @FailureCode, @FailureReason, @NextCheckAt, @Now, @CompletedAt)
        """;

    public async Task<StartedPayment> Handle(StartPayment command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();

        // 1. Lock the order row (global lock order 1). Only its member may pay it: another member's order is as missing
        //    as a nonexistent one (404).
        var order = await OrderStore.LockForMemberAsync(session, command.OrderId, command.MemberId, ct);

        switch (order.Status)
        {
            case OrderStatus.Paid or OrderStatus.Paying:
                // Paid already, or waiting for the gateway: answer with the payment, never charge again.
                var view = await OrderStore.ViewAsync(session, order, ct);
                return new StartedPayment(view, view.Payment, null);
            case not OrderStatus.PendingPayment:
                throw await NotPayableAsync(order, command.IdempotencyKey, ct);
        }

        if (order.PaymentDeadline <= now)
        {
            throw AppException.Conflict(OrderErrors.OrderNotPayable, "The payment deadline of this order has passed.")
                .With("orderId", order.Id).With("orderStatus", order.Status);
        }

        var lines = await OrderStore.LinesAsync(session, order.Id, ct);
        var payment = new PaymentView(Guid.CreateVersion7(now), PaymentMethod.Gateway, PaymentStatus.Pending, order.Total, null, null, now, null);

        // 2. A free order (coupons covered everything) needs neither points nor the gateway: PAID now, with its units
        //    sold (product rows: global lock order 3).
        if (order.Total == 0)
        {
            payment = payment with { Method = PaymentMethod.Points, Status = PaymentStatus.Approved, CompletedAt = now };
            await InsertPaymentAsync(payment, order, command.IdempotencyKey, ledgerId: null, nextCheckAt: null, ct);
            order = await OrderStore.SetStatusAsync(session, order, OrderStatus.Paid, now, ct, paidAt: now);
            await stock.RecordSoldAsync(lines.Select(l => new StockLine(l.ProductId, l.Quantity)).ToList(), now, ct);
            var free = OrderStore.View(order, lines, payment);
            outbox.Record(new OrderPaid(free));
            return new StartedPayment(free, payment, null);
        }

        // 3. Lock the wallet and take the points (Points: one statement, global lock order 4). Short of points: the
        //    order fails now, committed, then released by PayOrder.
        WalletChange deducted;
        try
        {
            deducted = await wallet.DeductAsync(order.MemberId, order.Total, $"order-{order.Id}", ct);
        }
        catch (AppException e) when (e.Code == PointErrors.InsufficientPoints)
        {
            payment = payment with { Status = PaymentStatus.Rejected, FailureCode = e.Code, FailureReason = e.Message, CompletedAt = now };
            await InsertPaymentAsync(payment, order, command.IdempotencyKey, ledgerId: null, nextCheckAt: null, ct);
            order = await OrderStore.SetStatusAsync(session, order, OrderStatus.PaymentFailed, now, ct);
            var failed = OrderStore.View(order, lines, payment);
            outbox.Record(new OrderPaymentFailed(failed));
            return new StartedPayment(failed, payment, null, e);
        }

        // 4. Record the attempt: points taken, payment in flight; the reconciler takes over if this request never
        //    learns the outcome.
        await InsertPaymentAsync(payment, order, command.IdempotencyKey, deducted.LedgerEntryId, now + options.Value.ReconcileAfter, ct);
        order = await OrderStore.SetStatusAsync(session, order, OrderStatus.Paying, now, ct);
        var paying = OrderStore.View(order, lines, payment);
        outbox.Record(new OrderPaying(paying));
        return new StartedPayment(paying, payment, deducted.BalanceAfter);
    }

    private Task<int> InsertPaymentAsync(PaymentView payment, OrderStore.OrderRow order, string? idempotencyKey, long? ledgerId, DateTimeOffset? nextCheckAt, CancellationToken ct) =>
        session.Connection.ExecuteAsync(session.Command(InsertPaymentSql, new
        {
            payment.Id,
            OrderId = order.Id,
            order.MemberId,
            payment.Method,
            payment.Amount,
            payment.Status,
            IdempotencyKey = idempotencyKey,
            LedgerId = ledgerId,
            payment.FailureCode,
            payment.FailureReason,
            NextCheckAt = nextCheckAt,
            Now = payment.CreatedAt,
            payment.CompletedAt,
        }, ct));

    /// <summary>A retry (same Idempotency-Key) of a payment that failed replays its failure; anything else is not payable.</summary>
    private async Task<AppException> NotPayableAsync(OrderStore.OrderRow order, string? idempotencyKey, CancellationToken ct)
    {
        var earlier = idempotencyKey is null
            ? null
            : await session.Connection.QuerySingleOrDefaultAsync<PaymentView>(session.Command(PaymentByKeySql, new { OrderId = order.Id, IdempotencyKey = idempotencyKey }, ct));
        return earlier switch
        {
            { Status: PaymentStatus.Declined } => PayOrderHandler.Declined(earlier.FailureReason),
            { Status: PaymentStatus.Rejected } => AppException.Conflict(earlier.FailureCode!, earlier.FailureReason!),
            _ => AppException.Conflict(OrderErrors.OrderNotPayable, $"Order {order.Id} is {order.Status}; only a PENDING_PAYMENT order can be paid.")
                .With("orderId", order.Id).With("orderStatus", order.Status),
        };
    }
}

using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Modules.Catalog.Contracts;
using Commerce.Modules.Orders.Payments;
using Commerce.Modules.Points.Contracts;
using Dapper;
using FluentValidation;
using MediatR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.Modules.Orders.Features.PayOrder;

/// <summary>
/// Flow A, second half: pay a placed order with points through the payment gateway. Three steps, because
/// the gateway is called with no transaction open and no lock held:
/// (1) <see cref="StartPayment"/> — order row, then wallet: points taken, payment PENDING, order PAYING;
/// (2) the gateway, with the payment id as its idempotency key;
/// (3) <see cref="CompletePayment"/> — approved: PAID (the order row only, so product locks can never turn a
/// charged customer's answer into an error); declined: points refunded, PAYMENT_FAILED, then the release gives
/// coupons and stock back. Only an explicit decline declines: anything else is unknown, the order stays PAYING,
/// 202, and the reconciler finishes it.
/// (4) <see cref="RecordSale"/> — approved: the units sold, under the product locks; a hot product that keeps them
/// past the lock timeout leaves it to the sweeper (the order is PAID either way).
/// Idempotency rests on the order's own state: a PAID order answers with its payment; a PAYING one asks the
/// gateway again with the same payment id (never a second charge); a retry with the same Idempotency-Key after
/// a failure replays that failure.
/// </summary>
public sealed record PayOrder(long MemberId, long OrderId, string? IdempotencyKey = null) : IMultiStepCommand<PaymentResult>;

/// <summary>The order after payment and the member's point balance after it (null when unchanged by this call).</summary>
public sealed record PaymentResult(OrderView Order, long? Balance);

internal sealed class PayOrderValidator : AbstractValidator<PayOrder>
{
    public PayOrderValidator()
    {
        RuleFor(c => c.OrderId).GreaterThan(0);
        RuleFor(c => c.IdempotencyKey).MaximumLength(100);
    }
}

internal sealed class PayOrderHandler(IMediator mediator, IPaymentGateway gateway, PaymentMetrics metrics, ILogger<PayOrderHandler> logger) : IRequestHandler<PayOrder, PaymentResult>
{
    public async Task<PaymentResult> Handle(PayOrder command, CancellationToken ct)
    {
        // 1. Transaction 1: order row, then wallet.
        var started = await mediator.Send(new StartPayment(command.MemberId, command.OrderId, command.IdempotencyKey), ct);
        if (started.Rejection is { } rejection)
        {
            await mediator.Send(new ReleaseOrder.ReleaseOrder(command.OrderId), CancellationToken.None);
            throw rejection;
        }

        if (started.Payment is not { Status: PaymentStatus.Pending } payment)
        {
            return new PaymentResult(started.Order, started.Balance);
        }

        // Points are taken from here on: finish even if the client goes away (the gateway call has its own timeout).
        var gatewayPayment = new GatewayPayment(payment.Id, command.OrderId, command.MemberId, payment.Amount);

        // 2. The gateway, outside any transaction.
        var answer = await gateway.ApproveAsync(gatewayPayment, CancellationToken.None);
        if (!answer.IsFinal)
        {
            // 3a. Unknown outcome: the order stays PAYING; the reconciler asks the gateway until it knows.
            metrics.RecordUnknownAnswer();
            return new PaymentResult(started.Order, started.Balance);
        }

        // 3. Transaction 2: approved → PAID; declined → refunded and PAYMENT_FAILED, then the release.
        var completed = await mediator.Send(new CompletePayment(payment.Id, command.OrderId, answer), CancellationToken.None);
        if (completed.Order.Status == OrderStatus.PaymentFailed)
        {
            await mediator.Send(new ReleaseOrder.ReleaseOrder(command.OrderId), CancellationToken.None);
            throw Declined(completed.Order.Payment?.FailureReason);
        }

        // 4. Transaction 3: the units sold, under the product locks (or later, by the sweeper).
        if (completed.Order.Status == OrderStatus.Paid)
        {
            await RecordSaleOrLeaveItAsync(mediator, command.OrderId, logger);
        }

        return new PaymentResult(completed.Order, completed.Balance ?? started.Balance);
    }

    /// <summary>
    /// Records a paid order's sale; when the products stay locked past the lock timeout (a rush on a hot product) or
    /// the database is unreachable, leaves it to the sweeper: the customer was charged, and the order is PAID already.
    /// </summary>
    internal static async Task RecordSaleOrLeaveItAsync(IMediator mediator, long orderId, ILogger logger)
    {
        try
        {
            await mediator.Send(new RecordSale(orderId), CancellationToken.None);
        }
        catch (NpgsqlException e)
        {
            logger.LogInformation("The sale of paid order {OrderId} is left to the sweeper: {Error}", orderId, e.Message);
        }
    }

    internal static AppException Declined(string? reason) =>
        new AppException(402, OrderErrors.PaymentDeclined, "The payment gateway declined the payment; the points were refunded.")
            .With("reason", reason);
}

/// <summary>Step 1 of PayOrder. <see cref="Rejection"/> is set when the points were short: that failure is committed, then thrown.</summary>
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

        // 1. The order row (lock order step 1): only its member may pay it.
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

        // 2. A free order (coupons covered everything) needs neither points nor the gateway.
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

        // 3. The wallet (lock order step 4). Short of points: the order fails now, committed, then released.
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

        // 4. Points taken, payment in flight: the reconciler takes over if this request never learns the outcome.
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

/// <summary>Step 3 of PayOrder, also sent by the reconciler once the gateway's answer is known. Idempotent.</summary>
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

    // PAID with the order row alone: the units sold (product rows) follow in RecordSale.
    private const string ApproveSql = """
        UPDATE orders.payments SET status = 'APPROVED', gateway_reference = @Reference, completed_at = @Now, next_check_at = NULL
        WHERE id = @PaymentId;
        UPDATE orders.orders SET status = 'PAID', updated_at = @Now, paid_at = @Now, sale_pending = true WHERE id = @OrderId;
        """;

    private const string LateApprovalSql = """
        UPDATE orders.payments SET late_approved_at = @Now, late_reference = @Reference
        WHERE id = @PaymentId AND late_approved_at IS NULL
        """;

    private const string DeclineSql = """
        UPDATE orders.payments SET status = 'DECLINED', failure_code = 'PAYMENT_DECLINED', failure_reason = @Reason,
               refund_ledger_id = @RefundLedgerId, completed_at = @Now, next_check_at = NULL
        WHERE id = @PaymentId
        """;

    public async Task<CompletedPayment> Handle(CompletePayment command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();

        // 1. The order row first (lock order step 1); every change of a payment happens under its order's lock.
        var order = await OrderStore.LockAsync(session, command.OrderId, ct) ?? throw OrderStore.NotFound(command.OrderId);
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

        // 3b. Declined: the points go back (wallet: lock order step 4); coupons and stock follow in the release.
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

/// <summary>
/// Step 4 of PayOrder (also sent by the reconciler and the sweeper): counts a paid order's units for the popular
/// products, under the product row locks, once (the order's <c>sale_pending</c> flag). Its own transaction, so a
/// lock timeout here can only postpone the figures, never fail the payment.
/// </summary>
internal sealed record RecordSale(long OrderId) : ICommand<bool>;

internal sealed class RecordSaleHandler(DbSession session, IProductStock stock) : IRequestHandler<RecordSale, bool>
{
    // The order row first (lock order step 1), then the products.
    private const string ClaimSql = """
        UPDATE orders.orders SET sale_pending = false WHERE id = @OrderId AND sale_pending RETURNING paid_at
        """;

    public async Task<bool> Handle(RecordSale command, CancellationToken ct)
    {
        // 1. Only once: the flag goes down in the same transaction as the figures go up.
        var paidAt = await session.Connection.QuerySingleOrDefaultAsync<DateTimeOffset?>(session.Command(ClaimSql, command, ct));
        if (paidAt is null)
        {
            return false;
        }

        // 2. The units, on the day the order was paid (product rows: lock order step 3).
        var lines = await OrderStore.LinesAsync(session, command.OrderId, ct);
        await stock.RecordSoldAsync(lines.Select(l => new StockLine(l.ProductId, l.Quantity)).ToList(), paidAt.Value, ct);
        return true;
    }
}

/// <summary>Paid orders whose sale is not recorded yet (the products were busy, or a crash came in between).</summary>
internal sealed record FindUnrecordedSales(DateTimeOffset PaidBefore, int Limit) : IQuery<IReadOnlyList<long>>;

internal sealed class FindUnrecordedSalesHandler(DbSession session) : IRequestHandler<FindUnrecordedSales, IReadOnlyList<long>>
{
    private const string Sql = "SELECT id FROM orders.orders WHERE sale_pending AND paid_at < @PaidBefore ORDER BY paid_at LIMIT @Limit";

    public async Task<IReadOnlyList<long>> Handle(FindUnrecordedSales query, CancellationToken ct) =>
        (await session.Connection.QueryAsync<long>(session.Command(Sql, query, ct))).AsList();
}

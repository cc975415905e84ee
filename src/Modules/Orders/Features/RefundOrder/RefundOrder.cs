using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Modules.Catalog.Contracts;
using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Orders.Payments;
using Commerce.Modules.Points.Contracts;
using Dapper;
using FluentValidation;
using MediatR;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Orders.Features.RefundOrder;

/// <summary>
/// A full refund of a PAID order: by its member within the refund window, by an admin at any time. Points paid
/// (Checkout, or a free order) come back in one transaction. A gateway payment (PayOrder) is refunded like it was
/// paid, in three steps so the gateway is called with no transaction open: (1) <see cref="StartRefund"/> — order row
/// locked, refund PENDING, order REFUNDING, commit; (2) the gateway's refund call with the refund id as its own
/// idempotency key; (3) <see cref="CompleteRefund"/> — refunded: points, coupons and stock back, REFUNDED; declined:
/// the order is PAID again. No answer: the order stays REFUNDING, 202, and the refund reconciler finishes it.
/// At most once: only a PAID order starts a refund, under its row lock, and a unique index allows one live refund.
/// </summary>
public sealed record RefundOrder(long RequesterId, bool RequesterIsAdmin, long OrderId) : IMultiStepCommand<RefundResult>;

/// <summary>The order after the refund and the refund itself (PENDING while the gateway's answer is unknown).</summary>
public sealed record RefundResult(OrderView Order, RefundView Refund);

internal sealed class RefundOrderValidator : AbstractValidator<RefundOrder>
{
    public RefundOrderValidator() => RuleFor(c => c.OrderId).GreaterThan(0);
}

internal sealed class RefundOrderHandler(IMediator mediator, IPaymentGateway gateway) : IRequestHandler<RefundOrder, RefundResult>
{
    public async Task<RefundResult> Handle(RefundOrder command, CancellationToken ct)
    {
        // 1. Transaction 1: the order row. Points-only payments are refunded completely here.
        var started = await mediator.Send(new StartRefund(command.RequesterId, command.RequesterIsAdmin, command.OrderId), ct);
        if (!started.AskGateway)
        {
            return started.Result;
        }

        // The order is REFUNDING from here on: finish even if the client goes away (the gateway call has its own timeout).
        var refund = started.Result.Refund;
        var answer = await gateway.RefundAsync(new GatewayRefund(refund.Id, refund.PaymentId, command.OrderId, refund.Amount), CancellationToken.None);
        if (!answer.IsFinal)
        {
            // 2a. Unknown outcome: the order stays REFUNDING; the refund reconciler asks the gateway until it knows.
            return started.Result;
        }

        // 3. Transaction 2: refunded → points, coupons and stock back; declined → PAID again.
        var completed = await mediator.Send(new CompleteRefund(refund.Id, command.OrderId, answer), CancellationToken.None);
        return completed.Refund.Status == RefundStatus.Declined ? throw Declined(completed.Refund.FailureReason) : completed;
    }

    internal static AppException Declined(string? reason) =>
        new AppException(502, OrderErrors.RefundDeclined, "The payment gateway declined the refund; the order is still PAID.")
            .With("reason", reason);
}

/// <summary>Step 1 of RefundOrder. <see cref="AskGateway"/>: a new gateway refund is PENDING and the gateway must be called.</summary>
internal sealed record StartRefund(long RequesterId, bool RequesterIsAdmin, long OrderId) : ICommand<StartedRefund>;

internal sealed record StartedRefund(RefundResult Result, bool AskGateway);

internal sealed class StartRefundHandler(
    DbSession session,
    RefundEffects effects,
    IOptions<OrdersOptions> options,
    TimeProvider clock) : IRequestHandler<StartRefund, StartedRefund>
{
    private const string ApprovedPaymentSql = """
        SELECT id, method, amount, points_ledger_id FROM orders.payments WHERE order_id = @OrderId AND status = 'APPROVED'
        """;

    private const string InsertRefundSql = """
        INSERT INTO orders.refunds (id, order_id, payment_id, method, amount, status, requested_by, next_check_at, created_at)
        VALUES (@Id, @OrderId, @PaymentId, @Method, @Amount, 'PENDING', @RequestedById, @NextCheckAt, @CreatedAt)
        """;

    public async Task<StartedRefund> Handle(StartRefund command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();

        // 1. The order row (lock order step 1): the member's own (another member's is as missing as none), or any for an admin.
        var order = await OrderStore.LockAsync(session, command.OrderId, ct);
        if (order is null || (order.MemberId != command.RequesterId && !command.RequesterIsAdmin))
        {
            throw OrderStore.NotFound(command.OrderId);
        }

        // 2. Refunded already, or waiting for the gateway: answer with that refund, never refund twice.
        if (order.Status is OrderStatus.Refunded or OrderStatus.Refunding)
        {
            return new StartedRefund(await effects.ResultAsync(order, ct), AskGateway: false);
        }

        if (order.Status != OrderStatus.Paid)
        {
            throw AppException.Conflict(OrderErrors.OrderNotRefundable, $"Order {order.Id} is {order.Status}; only a PAID order can be refunded.")
                .With("orderId", order.Id).With("orderStatus", order.Status);
        }

        var window = options.Value.RefundWindow;
        if (!command.RequesterIsAdmin && order.PaidAt + window < now)
        {
            throw AppException.Conflict(OrderErrors.RefundWindowClosed,
                    $"Order {order.Id} was paid more than {window.TotalDays:0.##} days ago; ask the shop for a refund.")
                .With("orderId", order.Id).With("paidAt", order.PaidAt);
        }

        // 3. The refund, PENDING; a points payment completes in this transaction, a gateway payment asks the gateway first.
        var payment = await session.Connection.QuerySingleAsync<RefundEffects.PaidPayment>(session.Command(ApprovedPaymentSql, new { OrderId = order.Id }, ct));
        var refund = new RefundView(Guid.CreateVersion7(now), payment.Id, payment.Method, RefundStatus.Pending, payment.Amount, command.RequesterId, null, now, null);
        var gateway = payment.Method == PaymentMethod.Gateway;
        await session.Connection.ExecuteAsync(session.Command(InsertRefundSql, new
        {
            refund.Id,
            OrderId = order.Id,
            refund.PaymentId,
            refund.Method,
            refund.Amount,
            RequestedById = refund.RequestedById,
            NextCheckAt = gateway ? now + options.Value.ReconcileAfter : (DateTimeOffset?)null,
            refund.CreatedAt,
        }, ct));

        if (!gateway)
        {
            return new StartedRefund(await effects.CompleteAsync(order, refund, payment.PointsLedgerId, gatewayReference: null, now, ct), AskGateway: false);
        }

        // 4. The reconciler takes over if this request never learns the gateway's answer.
        order = await OrderStore.SetStatusAsync(session, order, OrderStatus.Refunding, now, ct);
        return new StartedRefund(new RefundResult(await OrderStore.ViewAsync(session, order, ct), refund), AskGateway: true);
    }
}

/// <summary>Step 3 of RefundOrder, also sent by the refund reconciler once the gateway's answer is known. Idempotent.</summary>
internal sealed record CompleteRefund(Guid RefundId, long OrderId, GatewayAnswer Answer) : ICommand<RefundResult>;

internal sealed class CompleteRefundHandler(DbSession session, RefundEffects effects, TimeProvider clock) : IRequestHandler<CompleteRefund, RefundResult>
{
    private const string PaymentLedgerSql = "SELECT points_ledger_id FROM orders.payments WHERE id = @PaymentId";

    private const string DeclineSql = """
        UPDATE orders.refunds SET status = 'DECLINED', failure_reason = @Reason, completed_at = @Now, next_check_at = NULL
        WHERE id = @RefundId
        """;

    public async Task<RefundResult> Handle(CompleteRefund command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();

        // 1. The order row first (lock order step 1); every change of a refund happens under its order's lock.
        var order = await OrderStore.LockAsync(session, command.OrderId, ct) ?? throw OrderStore.NotFound(command.OrderId);
        var refund = await RefundEffects.RefundAsync(session, command.RefundId, ct);

        // 2. Finished already (by the request or by the reconciler): nothing to do twice.
        if (refund.Status != RefundStatus.Pending)
        {
            return new RefundResult(await OrderStore.ViewAsync(session, order, ct), refund);
        }

        // 3a. Refunded by the gateway: points, coupons and stock back, REFUNDED.
        if (command.Answer.Outcome == GatewayOutcome.Approved)
        {
            var ledgerId = await session.Connection.ExecuteScalarAsync<long?>(session.Command(PaymentLedgerSql, new { refund.PaymentId }, ct));
            return await effects.CompleteAsync(order, refund, ledgerId, command.Answer.Reference, now, ct);
        }

        // 3b. Declined: nothing was given back; the order is PAID again and may be refunded later.
        await session.Connection.ExecuteAsync(session.Command(DeclineSql, new { command.RefundId, command.Answer.Reason, Now = now }, ct));
        order = await OrderStore.SetStatusAsync(session, order, OrderStatus.Paid, now, ct);
        return new RefundResult(await OrderStore.ViewAsync(session, order, ct),
            refund with { Status = RefundStatus.Declined, FailureReason = command.Answer.Reason, CompletedAt = now });
    }
}

/// <summary>
/// What a completed refund changes, with the order row locked, in the global lock order: the order's coupons (step 2:
/// USED → AVAILABLE; an expired one stays unusable, since expiry is computed when read), its products (step 3: stock
/// back, units out of the popular figures of the day it was paid), the wallet (step 4: ledger REFUND), then the
/// refund COMPLETED, the order REFUNDED and the OrderRefunded event.
/// </summary>
internal sealed class RefundEffects(
    DbSession session,
    ICouponRedemption coupons,
    IProductStock stock,
    IPointWallet wallet,
    Outbox outbox)
{
    internal sealed record PaidPayment(Guid Id, string Method, long Amount, long? PointsLedgerId);

    private const string RefundColumns = """
        id, payment_id, method, status, amount, requested_by AS requested_by_id, failure_reason, created_at, completed_at
        """;

    private const string RefundSql = $"SELECT {RefundColumns} FROM orders.refunds WHERE id = @RefundId";

    private const string LiveRefundSql = $"""
        SELECT {RefundColumns} FROM orders.refunds WHERE order_id = @OrderId AND status IN ('PENDING', 'COMPLETED')
        """;

    private const string CompleteSql = """
        UPDATE orders.refunds SET status = 'COMPLETED', refund_ledger_id = @LedgerId, gateway_reference = @GatewayReference,
               completed_at = @Now, next_check_at = NULL
        WHERE id = @RefundId;
        UPDATE orders.orders SET status = 'REFUNDED', refunded_at = @Now, updated_at = @Now WHERE id = @OrderId;
        """;

    public static Task<RefundView> RefundAsync(DbSession session, Guid refundId, CancellationToken ct) =>
        session.Connection.QuerySingleAsync<RefundView>(session.Command(RefundSql, new { RefundId = refundId }, ct));

    /// <summary>A REFUNDING or REFUNDED order with its live refund.</summary>
    public async Task<RefundResult> ResultAsync(OrderStore.OrderRow order, CancellationToken ct) => new(
        await OrderStore.ViewAsync(session, order, ct),
        await session.Connection.QuerySingleAsync<RefundView>(session.Command(LiveRefundSql, new { OrderId = order.Id }, ct)));

    public async Task<RefundResult> CompleteAsync(
        OrderStore.OrderRow order, RefundView refund, long? pointsLedgerId, string? gatewayReference, DateTimeOffset now, CancellationToken ct)
    {
        var lines = await OrderStore.LinesAsync(session, order.Id, ct);
        var stockLines = lines.Select(l => new StockLine(l.ProductId, l.Quantity)).ToList();

        if (order.CouponIds.Length > 0)
        {
            await coupons.RestoreAsync(order.CouponIds, order.Id, ct);
        }

        await stock.ReleaseAsync(stockLines, ct);
        await stock.RevokeSoldAsync(stockLines, order.PaidAt ?? throw new InvalidOperationException($"Paid order {order.Id} has no paid_at."), ct);

        // A free order took no points and gives none back.
        long? ledgerId = pointsLedgerId is not null && refund.Amount > 0
            ? (await wallet.RefundAsync(order.MemberId, refund.Amount, $"order-{order.Id}", ct)).LedgerEntryId
            : null;

        await session.Connection.ExecuteAsync(session.Command(CompleteSql,
            new { RefundId = refund.Id, OrderId = order.Id, LedgerId = ledgerId, GatewayReference = gatewayReference, Now = now }, ct));

        var refunded = new RefundResult(
            OrderStore.View(order with { Status = OrderStatus.Refunded }, lines, await OrderStore.LatestPaymentAsync(session, order.Id, ct)),
            refund with { Status = RefundStatus.Completed, CompletedAt = now });
        outbox.Record(new OrderRefunded(refunded.Order, refunded.Refund));
        return refunded;
    }
}

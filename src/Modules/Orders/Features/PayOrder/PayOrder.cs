using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Commerce.Modules.Orders.Payments;
using FluentValidation;
using MediatR;
using Microsoft.Extensions.Logging;

namespace Commerce.Modules.Orders.Features.PayOrder;

/// <summary>
/// Flow A, second half: pay a placed order with points through the payment gateway. Its steps are files in this
/// folder, each its own transaction, because the gateway is called with no transaction open and no lock held:
/// (1) <see cref="StartPayment"/> — order row, then wallet: points taken, payment PENDING, order PAYING;
/// (2) <see cref="AskGateway"/> — the gateway, with the payment id as its idempotency key;
/// (3) <see cref="CompletePayment"/> — approved: PAID (the order row only, so product locks can never turn a
/// charged customer's answer into an error); declined: points refunded, PAYMENT_FAILED. Only an explicit decline
/// declines: anything else is unknown, the order stays PAYING, 202, and the reconciler finishes it.
/// (4) failed: <see cref="ReleaseOrder"/> gives coupons and stock back; paid: <see cref="RecordSale"/> counts the
/// units sold under the product locks (a hot product that keeps them past the lock timeout leaves it to the sweeper;
/// the order is PAID either way).
/// Idempotency rests on the order's own state: a PAID order answers with its payment; a PAYING one asks the
/// gateway again with the same payment id (never a second charge); a retry with the same Idempotency-Key after
/// a failure replays that failure. The key is checked by the rule every idempotent command's is (validation); the
/// stored-response replay does not apply, since no single transaction spans the steps.
/// </summary>
public sealed record PayOrder(long MemberId, long OrderId, string? IdempotencyKey = null)
    : IMultiStepCommand<PaymentResult>, IIdempotentCommand;

/// <summary>The order after payment and the member's point balance after it (null when unchanged by this call).</summary>
public sealed record PaymentResult(OrderView Order, long? Balance);

internal sealed class PayOrderValidator : AbstractValidator<PayOrder>
{
    public PayOrderValidator() => RuleFor(c => c.OrderId).GreaterThan(0);
}

/// <summary>
/// The rows PayOrder locks, in design.md's global lock order, each step in its own transaction (no step holds a lock
/// while the gateway is asked):
///   1. StartPayment: the order row (FOR UPDATE), then the wallet (IPointWallet.DeductAsync, one statement);
///      a free order instead takes its product rows (IProductStock.RecordSoldAsync);
///   3. CompletePayment: the order row (FOR UPDATE); declined: then the wallet (IPointWallet.RefundAsync);
///   4. failed, ReleaseOrder: the order row (FOR UPDATE), its coupons (ICouponRedemption.RestoreAsync), its product
///      rows (IProductStock.ReleaseAsync); paid, RecordSale: the order row (UPDATE), its product rows (RecordSoldAsync).
/// </summary>
internal sealed class PayOrderHandler(IMediator mediator, IPaymentGateway gateway, PaymentMetrics metrics, ILogger<PayOrderHandler> logger)
    : IRequestHandler<PayOrder, PaymentResult>
{
    public async Task<PaymentResult> Handle(PayOrder command, CancellationToken ct)
    {
        // 1. Transaction 1: order row, then wallet. Short of points: the failure is committed, released, then thrown.
        var started = await mediator.Send(new StartPayment(command.MemberId, command.OrderId, command.IdempotencyKey), ct);
        if (started.Rejection is { } rejection)
        {
            await mediator.Send(new ReleaseOrder(command.OrderId), CancellationToken.None);
            throw rejection;
        }

        if (started.Payment is not { Status: PaymentStatus.Pending } payment)
        {
            return new PaymentResult(started.Order, started.Balance);
        }

        // 2. The gateway, outside any transaction. Points are taken from here on: finish even if the client goes away.
        var answer = await AskGateway.ApproveAsync(gateway, metrics, command.MemberId, command.OrderId, payment);
        if (!answer.IsFinal)
        {
            // Unknown outcome: the order stays PAYING; the reconciler asks the gateway until it knows.
            return new PaymentResult(started.Order, started.Balance);
        }

        // 3. Transaction 2: approved → PAID; declined → refunded and PAYMENT_FAILED.
        var completed = await mediator.Send(new CompletePayment(payment.Id, command.OrderId, answer), CancellationToken.None);

        // 4. Transaction 3: declined → the release (coupons, then products); paid → the units sold (or later, by the sweeper).
        if (completed.Order.Status == OrderStatus.PaymentFailed)
        {
            await mediator.Send(new ReleaseOrder(command.OrderId), CancellationToken.None);
            throw Declined(completed.Order.Payment?.FailureReason);
        }

        if (completed.Order.Status == OrderStatus.Paid)
        {
            await RecordSaleHandler.SendOrLeaveItAsync(mediator, command.OrderId, logger);
        }

        return new PaymentResult(completed.Order, completed.Balance ?? started.Balance);
    }

    internal static AppException Declined(string? reason) =>
        new AppException(402, OrderErrors.PaymentDeclined, "The payment gateway declined the payment; the points were refunded.")
            .With("reason", reason);
}

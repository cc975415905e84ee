using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Hosting;
using Commerce.BuildingBlocks.Mediation;
using Commerce.Modules.Orders.Features.PayOrder;
using Commerce.Modules.Orders.Payments;
using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Orders.Features.ReconcilePayments;

/// <summary>Claims one payment whose outcome is still unknown and whose next check is due (<see cref="DueCheck"/>).</summary>
internal sealed record ClaimDuePayment(TimeSpan MaxBackoff) : ICommand<DuePayment?>;

internal sealed record DuePayment(Guid Id, long OrderId, long MemberId, long Amount, int CheckAttempts);

internal sealed class ClaimDuePaymentHandler(DbSession session, TimeProvider clock) : IRequestHandler<ClaimDuePayment, DuePayment?>
{
    private const string ClaimSql = $"""
        UPDATE orders.payments SET {DueCheck.NextCheck}
        WHERE id = (SELECT id FROM orders.payments WHERE {DueCheck.Due} ORDER BY next_check_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id, order_id, member_id, amount, check_attempts
        """;

    public Task<DuePayment?> Handle(ClaimDuePayment command, CancellationToken ct) =>
        DueCheck.ClaimAsync<DuePayment>(session, ClaimSql, command.MaxBackoff, clock, ct);
}

/// <summary>
/// Finishes payments the request path could not (no answer from the gateway, or the host died between the
/// steps): asks the gateway for the payment's status; if the gateway never heard of it, sends the approval
/// again under the same payment id (its idempotency key), so the answer is always definitive and never a
/// second charge. Then completes exactly as PayOrder would. No order stays PAYING once the gateway answers, and it
/// never gives up on one: an unknown answer (a 401 after a credential change, a 409 while the gateway still
/// processes the first approve, an outage) is asked again with backoff, however long; past
/// <see cref="OrdersOptions.UnknownPaymentAlertAfter"/> the payment counts as overdue (gauge, <c>/health/ready</c>
/// Degraded).
/// </summary>
internal sealed class PaymentReconciler(
    IServiceScopeFactory scopes,
    IPaymentGateway gateway,
    PaymentMetrics metrics,
    LateApprovalRefunds lateApprovals,
    IOptions<OrdersOptions> options,
    TimeProvider clock,
    ILogger<PaymentReconciler> logger) : PeriodicJob(scopes, logger)
{
    protected override TimeSpan Interval => options.Value.ReconcileInterval;

    protected override async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var mediator = services.GetRequiredService<IMediator>();
        var session = services.GetRequiredService<DbSession>();
        var before = metrics.Backlog;
        var backlog = await metrics.RefreshAsync(session, ct);
        if (backlog.Overdue > before.Overdue)
        {
            logger.LogError("{Overdue} payment(s) have had no final answer from the gateway for more than {Limit} (oldest {Age:0} s): " +
                            "the reconciler keeps asking; check the gateway's credentials and availability",
                backlog.Overdue, options.Value.UnknownPaymentAlertAfter, backlog.OldestUnknownAgeSeconds(clock.GetUtcNow()));
        }

        while (await mediator.Send(new ClaimDuePayment(options.Value.ReconcileMaxBackoff), ct) is { } due)
        {
            var answer = await gateway.GetStatusAsync(due.Id, ct);
            if (answer.Outcome == GatewayOutcome.NotFound)
            {
                answer = await gateway.ApproveAsync(new GatewayPayment(due.Id, due.OrderId, due.MemberId, due.Amount), ct);
            }

            if (!answer.IsFinal)
            {
                metrics.RecordUnknownAnswer();
                logger.LogWarning("Payment {PaymentId} of order {OrderId} is still unknown after {Attempts} checks: {Reason}",
                    due.Id, due.OrderId, due.CheckAttempts, answer.Reason);
                continue;
            }

            var completed = await mediator.Send(new CompletePayment(due.Id, due.OrderId, answer), ct);
            if (completed.Order.Status == OrderStatus.PaymentFailed)
            {
                await mediator.Send(new ReleaseOrder(due.OrderId), ct);
            }
            else if (completed.Order.Status == OrderStatus.Paid)
            {
                await RecordSaleHandler.SendOrLeaveItAsync(mediator, due.OrderId, logger);
            }

            logger.LogInformation("Reconciled payment {PaymentId}: order {OrderId} is {Status}", due.Id, due.OrderId, completed.Order.Status);
        }

        if (backlog.LateApprovals > 0)
        {
            await lateApprovals.RunAsync(session, ct);
        }
    }
}

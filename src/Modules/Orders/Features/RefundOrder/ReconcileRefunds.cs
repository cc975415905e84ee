using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Hosting;
using Commerce.BuildingBlocks.Mediation;
using Commerce.Modules.Orders.Payments;
using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Orders.Features.RefundOrder;

/// <summary>Claims one gateway refund whose outcome is still unknown and whose next check is due (<see cref="DueCheck"/>).</summary>
internal sealed record ClaimDueRefund(TimeSpan MaxBackoff) : ICommand<DueRefund?>;

internal sealed record DueRefund(Guid Id, Guid PaymentId, long OrderId, long Amount, int CheckAttempts);

internal sealed class ClaimDueRefundHandler(DbSession session, TimeProvider clock) : IRequestHandler<ClaimDueRefund, DueRefund?>
{
    private const string ClaimSql = $"""
        UPDATE orders.refunds SET {DueCheck.NextCheck}
        WHERE id = (SELECT id FROM orders.refunds WHERE {DueCheck.Due} ORDER BY next_check_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id, payment_id, order_id, amount, check_attempts
        """;

    public Task<DueRefund?> Handle(ClaimDueRefund command, CancellationToken ct) =>
        DueCheck.ClaimAsync<DueRefund>(session, ClaimSql, command.MaxBackoff, clock, ct);
}

/// <summary>
/// Finishes gateway refunds the request path could not (no answer, or the host died between the steps): asks the
/// gateway for the refund's status; if it never heard of it, asks for the refund again under the same refund id
/// (its idempotency key), so nothing is refunded twice. Then completes exactly as RefundOrder would.
/// </summary>
internal sealed class RefundReconciler(
    IServiceScopeFactory scopes,
    IPaymentGateway gateway,
    IOptions<OrdersOptions> options,
    ILogger<RefundReconciler> logger) : PeriodicJob(scopes, logger)
{
    protected override TimeSpan Interval => options.Value.ReconcileInterval;

    protected override async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var mediator = services.GetRequiredService<IMediator>();
        while (await mediator.Send(new ClaimDueRefund(options.Value.ReconcileMaxBackoff), ct) is { } due)
        {
            var answer = await gateway.GetRefundStatusAsync(due.Id, ct);
            if (answer.Outcome == GatewayOutcome.NotFound)
            {
                answer = await gateway.RefundAsync(new GatewayRefund(due.Id, due.PaymentId, due.OrderId, due.Amount), ct);
            }

            if (!answer.IsFinal)
            {
                logger.LogWarning("Refund {RefundId} of order {OrderId} is still unknown after {Attempts} checks: {Reason}",
                    due.Id, due.OrderId, due.CheckAttempts, answer.Reason);
                continue;
            }

            var completed = await mediator.Send(new CompleteRefund(due.Id, due.OrderId, answer), ct);
            logger.LogInformation("Reconciled refund {RefundId}: order {OrderId} is {Status}", due.Id, due.OrderId, completed.Order.Status);
        }
    }
}

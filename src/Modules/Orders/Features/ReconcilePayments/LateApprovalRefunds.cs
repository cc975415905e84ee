using System.Security.Cryptography;
using Commerce.BuildingBlocks.Data;
using Commerce.Modules.Orders.Payments;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Commerce.Modules.Orders.Features.ReconcilePayments;

/// <summary>
/// Makes whole the customers of payments the gateway approved after we had declined and refunded them (recorded by
/// CompletePayment as a late approval): their orders failed and their stock and coupons went back, so the charge is
/// given back through the gateway. Each refund's idempotency key is derived from the payment id, so asking again (the
/// next round, another instance) can never refund twice; the payment counts as resolved once the gateway says the
/// money is back. Called by the payment reconciler every round; no row lock is held while the gateway is asked.
/// </summary>
internal sealed class LateApprovalRefunds(IPaymentGateway gateway, TimeProvider clock, ILogger<LateApprovalRefunds> logger)
{
    private const string UnresolvedSql = """
        SELECT id, order_id, amount FROM orders.payments
        WHERE late_approved_at IS NOT NULL AND late_resolved_at IS NULL AND method = 'GATEWAY'
        ORDER BY late_approved_at
        LIMIT 20
        """;

    private const string ResolvedSql = "UPDATE orders.payments SET late_resolved_at = @Now WHERE id = @Id AND late_resolved_at IS NULL";

    /// <summary>The refund id for a payment's late approval: the same for every attempt, distinct from any other id.</summary>
    public static Guid RefundIdFor(Guid paymentId) =>
        new(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"late-approval-refund:{paymentId}")).AsSpan(0, 16));

    /// <summary>Returns how many payments were resolved in this round.</summary>
    public async Task<int> RunAsync(DbSession session, CancellationToken ct)
    {
        var unresolved = await session.RunAsync(s => s.Connection.QueryAsync<LatePayment>(s.Command(UnresolvedSql, null, ct)), ct);

        var resolved = 0;
        foreach (var late in unresolved)
        {
            var answer = await gateway.RefundAsync(new GatewayRefund(RefundIdFor(late.Id), late.Id, late.OrderId, late.Amount), ct);
            if (answer.Outcome != GatewayOutcome.Approved)
            {
                logger.LogWarning("The refund of late-approved payment {PaymentId} (order {OrderId}) is not done yet: {Outcome} {Reason}; asking again next round",
                    late.Id, late.OrderId, answer.Outcome, answer.Reason);
                continue;
            }

            resolved += await session.RunAsync(s => s.Connection.ExecuteAsync(s.Command(ResolvedSql, new { late.Id, Now = clock.GetUtcNow() }, ct)), ct);
            logger.LogInformation("Refunded late-approved payment {PaymentId} of order {OrderId} through the gateway (reference {Reference})",
                late.Id, late.OrderId, answer.Reference);
        }

        return resolved;
    }

    private sealed record LatePayment(Guid Id, long OrderId, long Amount);
}

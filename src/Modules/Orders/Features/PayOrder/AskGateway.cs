using Commerce.Modules.Orders.Payments;

namespace Commerce.Modules.Orders.Features.PayOrder;

/// <summary>
/// Step 2 of PayOrder: the payment gateway, called with no transaction open and no lock held, so a slow gateway
/// keeps neither the order row nor the wallet locked. The payment id is the gateway's idempotency key: asking again
/// (a retry, the reconciler) returns the first outcome and never charges twice.
/// </summary>
internal static class AskGateway
{
    public static async Task<GatewayAnswer> ApproveAsync(IPaymentGateway gateway, PaymentMetrics metrics, long memberId, long orderId, PaymentView payment)
    {
        // The points are taken already: the call runs to its own timeout even if the client goes away.
        var answer = await gateway.ApproveAsync(new GatewayPayment(payment.Id, orderId, memberId, payment.Amount), CancellationToken.None);
        if (!answer.IsFinal)
        {
            metrics.RecordUnknownAnswer();
        }

        return answer;
    }
}

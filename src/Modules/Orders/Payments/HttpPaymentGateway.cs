using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace Commerce.Modules.Orders.Payments;

/// <summary>
/// A real gateway over HTTP. Approve: <c>POST /payments</c> with the payment id in <c>Idempotency-Key</c>;
/// status: <c>GET /payments/{paymentId}</c>; refund: <c>POST /refunds</c> with the refund id in <c>Idempotency-Key</c>,
/// its status <c>GET /refunds/{refundId}</c> (<c>"REFUNDED"</c> or <c>"APPROVED"</c> means given back).
/// Answers are <c>{"status": "APPROVED"|"REFUNDED"|"DECLINED"|"PENDING", "reference", "reason"}</c>.
/// Only an explicit answer is final: a <c>DECLINED</c> body (with any status code: 2xx, 402, 4xx) is a decline, an
/// <c>APPROVED</c> body with a 2xx an approval, and a 404 on a status check means the gateway never heard of the
/// payment. Everything else — timeouts, connection failures, 5xx, 408, 429, 409 on a duplicate approve still being
/// processed, 401/403 after a credential change, other 4xx without a DECLINED body, an unreadable body — is
/// "unknown": the customer may have been charged, so the reconciler keeps asking; never a decline.
/// </summary>
internal sealed class HttpPaymentGateway(HttpClient http, ILogger<HttpPaymentGateway> logger) : IPaymentGateway
{
    public const string ClientName = "payment-gateway";

    public async Task<GatewayAnswer> ApproveAsync(GatewayPayment payment, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "payments")
        {
            Content = JsonContent.Create(new ApproveRequest(payment.PaymentId, payment.OrderId, payment.MemberId, payment.Amount, "KRW")),
        };
        request.Headers.Add("Idempotency-Key", payment.PaymentId.ToString());
        return await SendAsync(request, payment.PaymentId, ct);
    }

    public async Task<GatewayAnswer> GetStatusAsync(Guid paymentId, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"payments/{paymentId}");
        return await SendAsync(request, paymentId, ct);
    }

    public async Task<GatewayAnswer> RefundAsync(GatewayRefund refund, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "refunds")
        {
            Content = JsonContent.Create(new RefundRequest(refund.RefundId, refund.PaymentId, refund.OrderId, refund.Amount, "KRW")),
        };
        request.Headers.Add("Idempotency-Key", refund.RefundId.ToString());
        return await SendAsync(request, refund.RefundId, ct);
    }

    public async Task<GatewayAnswer> GetRefundStatusAsync(Guid refundId, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"refunds/{refundId}");
        return await SendAsync(request, refundId, ct);
    }

    private async Task<GatewayAnswer> SendAsync(HttpRequestMessage request, Guid paymentId, CancellationToken ct)
    {
        try
        {
            using var response = await http.SendAsync(request, ct);
            var status = (int)response.StatusCode;
            if (response.StatusCode == HttpStatusCode.NotFound && request.Method == HttpMethod.Get)
            {
                return new GatewayAnswer(GatewayOutcome.NotFound);
            }

            var body = await ReadBodyAsync(response, ct);
            var answer = (status, body?.Status) switch
            {
                // A decline is the gateway's word that nothing was charged, whatever status code carries it.
                (_, "DECLINED") => new GatewayAnswer(GatewayOutcome.Declined, Reason: body!.Reason ?? "Declined by the gateway."),
                ( >= 200 and < 300, "APPROVED" or "REFUNDED") => new GatewayAnswer(GatewayOutcome.Approved, Reference: body!.Reference),
                ( >= 200 and < 300, var other) => GatewayAnswer.Unknown($"Gateway status '{other}'."),
                _ => GatewayAnswer.Unknown($"Gateway answered {status}{(body?.Reason is { } reason ? $": {reason}" : "")}."),
            };
            if (status >= 400 && answer.Outcome == GatewayOutcome.Unknown)
            {
                logger.LogWarning("Payment gateway answered {Status} for payment {PaymentId} ({Method}): outcome unknown, the reconciler asks again",
                    status, paymentId, request.Method);
            }

            return answer;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            logger.LogWarning("No usable answer from the payment gateway for payment {PaymentId}: {Error}", paymentId, e.Message);
            return GatewayAnswer.Unknown(e is TaskCanceledException ? "The gateway did not answer in time." : "The gateway could not be reached.");
        }
    }

    /// <summary>The gateway's JSON body, or null when there is none or it is not ours (a proxy's HTML error page, say).</summary>
    private static async Task<GatewayResponse?> ReadBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<GatewayResponse>(ct);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    private sealed record ApproveRequest(Guid PaymentId, long OrderId, long MemberId, long Amount, string Currency);

    private sealed record RefundRequest(Guid RefundId, Guid PaymentId, long OrderId, long Amount, string Currency);

    private sealed record GatewayResponse(
        [property: JsonPropertyName("status")] string? Status,
        [property: JsonPropertyName("reference")] string? Reference,
        [property: JsonPropertyName("reason")] string? Reason);
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace Commerce.Modules.Orders.Payments;

/// <summary>
/// A real gateway over HTTP. Approve: <c>POST /payments</c> with the payment id in <c>Idempotency-Key</c>;
/// status: <c>GET /payments/{paymentId}</c>; refund: <c>POST /refunds</c> with the refund id in <c>Idempotency-Key</c>,
/// its status <c>GET /refunds/{refundId}</c> (<c>"REFUNDED"</c> or <c>"APPROVED"</c> means given back). Answers are <c>{"status": "APPROVED"|"DECLINED"|"PENDING", "reference", "reason"}</c>.
/// Timeouts, 5xx, 408, 429 and connection failures are "unknown" (the reconciler asks again later); any other
/// 4xx means the request was refused without a charge and counts as declined.
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

            if (status is >= 500 or 408 or 429)
            {
                return GatewayAnswer.Unknown($"Gateway answered {status}.");
            }

            var body = await response.Content.ReadFromJsonAsync<GatewayResponse>(ct);
            if (status is >= 400)
            {
                logger.LogWarning("Payment gateway refused payment {PaymentId} with {Status}", paymentId, status);
                return new GatewayAnswer(GatewayOutcome.Declined, Reason: body?.Reason ?? $"Refused by the gateway ({status}).");
            }

            return body?.Status switch
            {
                "APPROVED" or "REFUNDED" => new GatewayAnswer(GatewayOutcome.Approved, Reference: body.Reference),
                "DECLINED" => new GatewayAnswer(GatewayOutcome.Declined, Reason: body.Reason ?? "Declined by the gateway."),
                _ => GatewayAnswer.Unknown($"Gateway status '{body?.Status}'."),
            };
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !ct.IsCancellationRequested)
        {
            logger.LogWarning("No usable answer from the payment gateway for payment {PaymentId}: {Error}", paymentId, e.Message);
            return GatewayAnswer.Unknown(e is TaskCanceledException ? "The gateway did not answer in time." : "The gateway could not be reached.");
        }
    }

    private sealed record ApproveRequest(Guid PaymentId, long OrderId, long MemberId, long Amount, string Currency);

    private sealed record RefundRequest(Guid RefundId, Guid PaymentId, long OrderId, long Amount, string Currency);

    private sealed record GatewayResponse(
        [property: JsonPropertyName("status")] string? Status,
        [property: JsonPropertyName("reference")] string? Reference,
        [property: JsonPropertyName("reason")] string? Reason);
}

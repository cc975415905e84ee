using System.Net;
using System.Net.Http.Headers;
using Commerce.BuildingBlocks.Http;
using Microsoft.Extensions.Options;

namespace Commerce.BuildingBlocks.Outbox;

/// <summary>
/// POSTs the envelope to <c>Commerce:DataPlatform:Url</c> with the event id as the <c>Idempotency-Key</c>, so
/// the platform can drop the duplicates at-least-once delivery produces. 2xx acknowledges; 400 and 422 say the event
/// itself is invalid and dead-letter it; 408, 429, 5xx and connection errors are an outage, retried; any other answer
/// (401, 403, 404, 405, 413, other 4xx, a redirect) is the platform refusing us — credentials or configuration — and is
/// retried just as long, flagged so it shows.
/// </summary>
internal sealed class HttpDataPlatform(IHttpClientFactory clients, IOptions<DataPlatformOptions> options) : IDataPlatform
{
    public const string ClientName = "Commerce.DataPlatform";
    private const int MaxErrorBodyChars = 300;
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public string Destination => options.Value.Url!;

    public async Task<DeliveryResult> DeliverAsync(DataPlatformEvent message, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, options.Value.Url);
        request.Content = new ByteArrayContent(message.ToJson()) { Headers = { ContentType = Json } };
        request.Headers.Add(EndpointConventions.IdempotencyKeyHeader, message.EventId.ToString());
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (response.IsSuccessStatusCode)
            {
                return DeliveryResult.Acknowledged;
            }

            var error = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}: {await ReadBodyAsync(response, ct)}".TrimEnd(' ', ':');
            return Classify(response.StatusCode) switch
            {
                DeliveryStatus.Rejected => DeliveryResult.Rejected(error),
                DeliveryStatus.Refused => DeliveryResult.Refused(error),
                _ => DeliveryResult.Retry(error),
            };
        }
        catch (HttpRequestException e) when (!ct.IsCancellationRequested)
        {
            return DeliveryResult.Retry($"No connection to the data platform: {e.Message}");
        }
    }

    /// <summary>What a non-2xx answer means for the event: only "this event is invalid" gives up on it.</summary>
    internal static DeliveryStatus Classify(HttpStatusCode status) => status switch
    {
        HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity => DeliveryStatus.Rejected,
        HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError => DeliveryStatus.Retry,
        _ => DeliveryStatus.Refused,
    };

    private static async Task<string> ReadBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        return body.Length > MaxErrorBodyChars ? body[..MaxErrorBodyChars] + "…" : body;
    }
}

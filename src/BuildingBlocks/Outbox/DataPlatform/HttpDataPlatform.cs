using System.Net;
using System.Net.Http.Headers;
using Commerce.BuildingBlocks.Http;
using Microsoft.Extensions.Options;

namespace Commerce.BuildingBlocks.Outbox;

/// <summary>
/// POSTs the envelope to <c>Commerce:DataPlatform:Url</c> with the event id as the <c>Idempotency-Key</c>, so
/// the platform can drop the duplicates at-least-once delivery produces. 2xx acknowledges; 408, 429, 5xx and
/// connection errors are retried; any other 4xx rejects the event for good.
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
            return IsPermanent(response.StatusCode) ? DeliveryResult.Rejected(error) : DeliveryResult.Retry(error);
        }
        catch (HttpRequestException e) when (!ct.IsCancellationRequested)
        {
            return DeliveryResult.Retry($"No connection to the data platform: {e.Message}");
        }
    }

    internal static bool IsPermanent(HttpStatusCode status) =>
        (int)status is >= 400 and < 500 && status is not HttpStatusCode.RequestTimeout and not HttpStatusCode.TooManyRequests;

    private static async Task<string> ReadBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var body = await response.Content.ReadAsStringAsync(ct);
        return body.Length > MaxErrorBodyChars ? body[..MaxErrorBodyChars] + "…" : body;
    }
}

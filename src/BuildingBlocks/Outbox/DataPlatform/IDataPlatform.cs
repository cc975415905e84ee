using System.Text.Json;

namespace Commerce.BuildingBlocks.Outbox;

/// <summary>
/// The port to the external data platform. The relay calls it at least once per event, with a timeout,
/// and only an <see cref="DeliveryStatus.Acknowledged"/> result marks the event delivered.
/// </summary>
public interface IDataPlatform
{
    /// <summary>Where events go, for the start-up log (an address or a file path).</summary>
    string Destination { get; }

    /// <summary>Classifies failures instead of throwing; cancellation (timeout, shutdown) may throw.</summary>
    Task<DeliveryResult> DeliverAsync(DataPlatformEvent message, CancellationToken ct);
}

public enum DeliveryStatus
{
    /// <summary>The platform has the event.</summary>
    Acknowledged,

    /// <summary>Worth trying again later (timeout, connection error, 408, 429, 5xx).</summary>
    Retry,

    /// <summary>The platform says the event itself is invalid (400, 422): retrying cannot help, it is dead-lettered at once.</summary>
    Rejected,

    /// <summary>
    /// The platform refuses us, not the event (401, 403, 404, 405, 413, other 4xx, a redirect): a credential or
    /// configuration problem that an operator fixes. Retried like an outage, however long, and shown (gauge,
    /// <c>/health/ready</c> Degraded) until a delivery succeeds again.
    /// </summary>
    Refused,
}

public readonly record struct DeliveryResult(DeliveryStatus Status, string? Error)
{
    public static readonly DeliveryResult Acknowledged = new(DeliveryStatus.Acknowledged, null);

    public static DeliveryResult Retry(string error) => new(DeliveryStatus.Retry, error);

    public static DeliveryResult Rejected(string error) => new(DeliveryStatus.Rejected, error);

    public static DeliveryResult Refused(string error) => new(DeliveryStatus.Refused, error);
}

/// <summary>
/// One outbox row as the platform sees it. <see cref="Sequence"/> grows with commit order within a stream
/// (it is a global counter, so it has gaps): the platform can use it to place an event that arrives late,
/// e.g. a requeued dead letter.
/// </summary>
public sealed record DataPlatformEvent(Guid EventId, string Type, int Version, DateTimeOffset OccurredAt, string StreamId, long Sequence, string Payload)
{
    /// <summary>The envelope both adapters send: <c>{eventId, type, version, occurredAt, streamId, sequence, payload}</c>.</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            WriteJson(json);
        }

        return buffer.ToArray();
    }

    internal void WriteJson(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("eventId", EventId);
        json.WriteString("type", Type);
        json.WriteNumber("version", Version);
        json.WriteString("occurredAt", OccurredAt.UtcDateTime);
        json.WriteString("streamId", StreamId);
        json.WriteNumber("sequence", Sequence);
        json.WritePropertyName("payload");
        json.WriteRawValue(Payload);
        json.WriteEndObject();
    }
}

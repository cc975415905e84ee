using System.Text.Json;
using Commerce.BuildingBlocks.Data;
using Dapper;

namespace Commerce.BuildingBlocks.Outbox;

internal static class OutboxWriter
{
    internal static readonly JsonSerializerOptions PayloadJson = new(JsonSerializerDefaults.Web);

    // One round trip for any number of events.
    private const string InsertSql = """
        INSERT INTO platform.outbox (id, stream_id, type, version, occurred_at, payload)
        SELECT * FROM unnest(@Ids, @StreamIds, @Types, @Versions, @OccurredAt, @Payloads::jsonb[])
        """;

    public static Task WriteAsync(DbSession session, IReadOnlyList<IIntegrationEvent> events, DateTimeOffset now, CancellationToken ct)
    {
        var parameters = new
        {
            Ids = events.Select(_ => Guid.CreateVersion7(now)).ToArray(),
            StreamIds = events.Select(e => e.StreamId).ToArray(),
            Types = events.Select(e => e.GetType().Name).ToArray(),
            Versions = events.Select(e => e.Version).ToArray(),
            OccurredAt = events.Select(_ => now.UtcDateTime).ToArray(),
            Payloads = events.Select(e => JsonSerializer.Serialize(e, e.GetType(), PayloadJson)).ToArray(),
        };
        return session.Connection.ExecuteAsync(session.Command(InsertSql, parameters, ct));
    }
}

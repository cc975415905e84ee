using System.Text.Json;
using Commerce.BuildingBlocks.Data;
using Npgsql;

namespace Commerce.BuildingBlocks.Outbox;

internal static class OutboxWriter
{
    internal static readonly JsonSerializerOptions PayloadJson = new(JsonSerializerDefaults.Web);

    // One round trip for any number of events.
    private const string InsertSql = """
        INSERT INTO platform.outbox (id, stream_id, type, version, occurred_at, payload)
        SELECT * FROM unnest(@Ids, @StreamIds, @Types, @Versions, @OccurredAt, @Payloads::jsonb[])
        """;

    /// <summary>Queues the rows to go with the COMMIT (<see cref="DbSession.BeforeCommit"/>).</summary>
    public static void Write(DbSession session, IReadOnlyList<IIntegrationEvent> events, DateTimeOffset now) =>
        session.BeforeCommit(new NpgsqlBatchCommand(InsertSql)
        {
            Parameters =
            {
                new NpgsqlParameter("Ids", events.Select(_ => Guid.CreateVersion7(now)).ToArray()),
                new NpgsqlParameter("StreamIds", events.Select(e => e.StreamId).ToArray()),
                new NpgsqlParameter("Types", events.Select(e => e.GetType().Name).ToArray()),
                new NpgsqlParameter("Versions", events.Select(e => e.Version).ToArray()),
                new NpgsqlParameter("OccurredAt", events.Select(_ => now.UtcDateTime).ToArray()),
                new NpgsqlParameter("Payloads", events.Select(e => JsonSerializer.Serialize(e, e.GetType(), PayloadJson)).ToArray()),
            },
        });
}

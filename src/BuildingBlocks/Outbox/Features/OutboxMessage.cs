namespace Commerce.BuildingBlocks.Outbox.Features;

/// <summary>An outbox row as operators see it (the payload stays out of lists: it can carry personal data).</summary>
public sealed record OutboxMessage(
    Guid Id,
    string StreamId,
    long Sequence,
    string Type,
    int Version,
    DateTimeOffset OccurredAt,
    int Attempts,
    DateTimeOffset? NextAttemptAt,
    string? LastError,
    DateTimeOffset? DeadLetteredAt);

internal static class OutboxErrors
{
    public const string MessageNotFound = "OUTBOX_MESSAGE_NOT_FOUND";
    public const string NotDeadLettered = "OUTBOX_MESSAGE_NOT_DEAD_LETTERED";
}

internal static class OutboxMessageSql
{
    /// <summary>The columns of <see cref="OutboxMessage"/>, in its constructor's order.</summary>
    public const string Columns = "id, stream_id, seq AS sequence, type, version, occurred_at, attempts, next_attempt_at, last_error, dead_lettered_at";
}

using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using FluentValidation;
using MediatR;
using Microsoft.Extensions.Logging;

namespace Commerce.BuildingBlocks.Outbox.Features.RequeueDeadLetter;

/// <summary>
/// Makes a dead letter pending again with a fresh set of attempts. It keeps its event id and sequence, so it is
/// its stream's head again: the stream's still-pending events wait for it.
/// </summary>
public sealed record RequeueDeadLetter(long AdminId, Guid Id) : ICommand<OutboxMessage>;

internal sealed class RequeueDeadLetterValidator : AbstractValidator<RequeueDeadLetter>
{
    public RequeueDeadLetterValidator() => RuleFor(c => c.Id).NotEmpty();
}

internal sealed class RequeueDeadLetterHandler(DbSession session, OutboxSignal signal, ILogger<RequeueDeadLetterHandler> logger)
    : IRequestHandler<RequeueDeadLetter, OutboxMessage>
{
    // The last error stays: it tells what went wrong before the requeue.
    private const string RequeueSql = $"""
        UPDATE platform.outbox SET dead_lettered_at = NULL, attempts = 0, next_attempt_at = NULL
        WHERE id = @Id AND dead_lettered_at IS NOT NULL
        RETURNING {OutboxMessageSql.Columns}
        """;

    private const string StateSql = "SELECT CASE WHEN delivered_at IS NULL THEN 'PENDING' ELSE 'DELIVERED' END FROM platform.outbox WHERE id = @Id";

    public async Task<OutboxMessage> Handle(RequeueDeadLetter command, CancellationToken ct)
    {
        // 1. Only a dead letter comes back; the relay never holds one, so this does not wait for it.
        var message = await session.Connection.QuerySingleOrDefaultAsync<OutboxMessage>(session.Command(RequeueSql, new { command.Id }, ct));
        if (message is null)
        {
            // 2. Tell "no such event" from "not dead".
            var state = await session.Connection.QuerySingleOrDefaultAsync<string>(session.Command(StateSql, new { command.Id }, ct))
                ?? throw AppException.NotFound(OutboxErrors.MessageNotFound, $"Outbox message {command.Id} does not exist (or was delivered and removed).");
            throw AppException.Conflict(OutboxErrors.NotDeadLettered, $"Outbox message {command.Id} is not dead-lettered; only dead letters can be requeued.")
                .With("state", state);
        }

        // 3. Wake the relay once the requeue is committed, instead of at the next poll.
        session.AfterCommit(signal.Wake);
        logger.LogInformation("Admin {AdminId} requeued outbox message {EventId} ({Type}, stream {StreamId})", command.AdminId, message.Id, message.Type, message.StreamId);
        return message;
    }
}

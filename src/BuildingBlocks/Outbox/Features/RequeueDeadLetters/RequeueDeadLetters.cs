using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using FluentValidation;
using MediatR;
using Microsoft.Extensions.Logging;

namespace Commerce.BuildingBlocks.Outbox.Features.RequeueDeadLetters;

/// <summary>
/// Makes many dead letters pending again at once, after an operator fixed what killed them: all of them, or those of
/// one event type, or those dead-lettered within a time range (both bounds inclusive, either optional). Each keeps its
/// event id and sequence, so it becomes its stream's head again, ahead of that stream's still-pending events.
/// </summary>
public sealed record RequeueDeadLetters(long AdminId, string? Type, DateTimeOffset? DeadLetteredFrom, DateTimeOffset? DeadLetteredTo)
    : ICommand<RequeuedDeadLetters>;

/// <summary>How many dead letters went back to the relay.</summary>
public sealed record RequeuedDeadLetters(int Requeued);

internal sealed class RequeueDeadLettersValidator : AbstractValidator<RequeueDeadLetters>
{
    public RequeueDeadLettersValidator()
    {
        RuleFor(c => c.Type).Length(1, 200).When(c => c.Type is not null);
        RuleFor(c => c.DeadLetteredTo).GreaterThanOrEqualTo(c => c.DeadLetteredFrom)
            .When(c => c.DeadLetteredFrom is not null && c.DeadLetteredTo is not null)
            .WithMessage("'deadLetteredTo' must not be before 'deadLetteredFrom'.");
    }
}

internal sealed class RequeueDeadLettersHandler(DbSession session, OutboxSignal signal, ILogger<RequeueDeadLettersHandler> logger)
    : IRequestHandler<RequeueDeadLetters, RequeuedDeadLetters>
{
    // One statement over the dead-letter index; the relay never holds a dead letter, so this waits for nothing. The
    // last error stays: it tells what went wrong before the requeue.
    private const string RequeueSql = """
        UPDATE platform.outbox SET dead_lettered_at = NULL, attempts = 0, next_attempt_at = NULL
        WHERE dead_lettered_at IS NOT NULL
          AND (@Type::text IS NULL OR type = @Type)
          AND (@DeadLetteredFrom::timestamptz IS NULL OR dead_lettered_at >= @DeadLetteredFrom)
          AND (@DeadLetteredTo::timestamptz IS NULL OR dead_lettered_at <= @DeadLetteredTo)
        """;

    public async Task<RequeuedDeadLetters> Handle(RequeueDeadLetters command, CancellationToken ct)
    {
        // 1. Every matching dead letter becomes pending with fresh attempts.
        var requeued = await session.Connection.ExecuteAsync(session.Command(RequeueSql, command, ct));

        // 2. Wake the relay once the requeue is committed, instead of at the next poll.
        if (requeued > 0)
        {
            session.AfterCommit(signal.Wake);
        }

        logger.LogInformation("Admin {AdminId} requeued {Count} dead letter(s) (type {Type}, dead-lettered from {From} to {To})",
            command.AdminId, requeued, command.Type ?? "any", command.DeadLetteredFrom, command.DeadLetteredTo);
        return new RequeuedDeadLetters(requeued);
    }
}

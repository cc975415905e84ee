using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using MediatR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.BuildingBlocks.Mediation;

/// <summary>
/// Commands: one connection, BEGIN (read committed; the connection carries the lock and statement timeouts), the rest of the
/// pipeline, COMMIT; rollback on any exception. A deadlock, a serialization failure or a stale read
/// (<see cref="DatabaseRefusal.StaleReadSqlState"/>) retries the whole command, which is safe because nothing of it committed; a refusal raised by a statement (<see cref="DatabaseRefusal"/>)
/// becomes the <see cref="Errors.AppException"/> it describes. Queries: an open connection, no transaction.
/// A nested command joins the open transaction (a nested query the open connection); a multi-step command
/// opens nothing, its steps do, and whatever connection it left open is closed when it ends. The connection goes back to the pool as soon as the request is done,
/// before the HTTP response is written.
/// </summary>
internal sealed class TransactionBehavior<TRequest, TResponse>(
    DbSession session,
    Outbox.Outbox outbox,
    IOptions<DatabaseOptions> options,
    ILogger<TransactionBehavior<TRequest, TResponse>> logger) : IPipelineBehavior<TRequest, TResponse>
{
    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        var isCommand = request is ICommandMarker;
        if (session.Transaction is not null || (session.IsOpen && !isCommand))
        {
            return await next();
        }

        if (!isCommand)
        {
            try
            {
                if (request is not (IOpensConnectionWhenNeeded or IMultiStepMarker))
                {
                    await session.OpenAsync(cancellationToken);
                }

                return await next();
            }
            finally
            {
                await session.CloseAsync();
            }
        }

        var settings = options.Value;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await session.BeginAsync(cancellationToken);
                var response = await next();
                await session.CommitAsync(cancellationToken);
                return response;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure
                                                  or DatabaseRefusal.StaleReadSqlState
                                              && attempt < settings.MaxAttempts)
            {
                logger.LogWarning("{Request} hit {SqlState} on attempt {Attempt}; retrying the whole command", typeof(TRequest).Name, e.SqlState, attempt);
                Telemetry.CommerceTelemetry.RecordDeadlockRetry(typeof(TRequest).Name);
                await session.RollbackAsync();
                outbox.Discard();
                await Task.Delay(Random.Shared.Next(5, 20 * attempt), cancellationToken);
            }
            catch (Exception e)
            {
                await session.RollbackAsync();
                outbox.Discard();
                // A rule a statement checked itself (one sent with the COMMIT, whose outcome nothing read before) answers as the code would have.
                if (DatabaseRefusal.From(e) is { } refusal)
                {
                    throw refusal;
                }

                throw;
            }
            finally
            {
                if (session.Transaction is null)
                {
                    await session.CloseAsync();
                }
            }
        }
    }
}

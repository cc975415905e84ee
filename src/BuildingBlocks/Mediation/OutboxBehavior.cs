using Commerce.BuildingBlocks.Data;
using MediatR;

namespace Commerce.BuildingBlocks.Mediation;

/// <summary>
/// Writes the events the handler recorded into <c>platform.outbox</c> inside the command's transaction (in the COMMIT's
/// round trip), and wakes the relay once that transaction has committed.
/// </summary>
internal sealed class OutboxBehavior<TRequest, TResponse>(
    DbSession session,
    Outbox.Outbox outbox,
    Outbox.OutboxSignal signal,
    TimeProvider clock) : IPipelineBehavior<TRequest, TResponse>
{
    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        var response = await next();
        if (request is ICommandMarker)
        {
            var events = outbox.Drain();
            if (events.Count > 0)
            {
                Outbox.OutboxWriter.Write(session, events, clock.GetUtcNow());
                session.AfterCommit(signal.Wake);
                var via = Telemetry.CommerceTelemetry.CurrentRoot;
                session.AfterCommit(() => Telemetry.CommerceTelemetry.RecordCommitted(events, via));
            }
        }

        return response;
    }
}

namespace Commerce.BuildingBlocks.Outbox;

/// <summary>
/// Scoped collector: handlers record events here; the outbox behaviour writes them to
/// <c>platform.outbox</c> in the command's own transaction, so an event exists exactly when its effects do.
/// </summary>
public sealed class Outbox
{
    private readonly List<IIntegrationEvent> _pending = [];

    public void Record(IIntegrationEvent @event) => _pending.Add(@event);

    internal IReadOnlyList<IIntegrationEvent> Drain()
    {
        var events = _pending.ToArray();
        _pending.Clear();
        return events;
    }

    internal void Discard() => _pending.Clear();
}

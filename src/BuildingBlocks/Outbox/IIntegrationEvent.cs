namespace Commerce.BuildingBlocks.Outbox;

/// <summary>
/// An event for the data platform. Events of one <see cref="StreamId"/> (e.g. "order-42") are
/// delivered in the order they were committed.
/// </summary>
public interface IIntegrationEvent
{
    string StreamId { get; }

    /// <summary>Bumped when the payload changes incompatibly, so the platform can tell shapes apart.</summary>
    int Version => 1;
}

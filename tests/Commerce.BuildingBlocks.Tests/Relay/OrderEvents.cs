using System.Diagnostics;
using Commerce.BuildingBlocks.Mediation;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Testing;
using MediatR;
using OutboxCollector = Commerce.BuildingBlocks.Outbox.Outbox;

namespace Commerce.BuildingBlocks.Tests.Relay;

/// <summary>A synthetic order-like event: step 0, 1, 2… of order <see cref="OrderId"/>, in that order.</summary>
public sealed record OrderStepped(long OrderId, int Step) : IIntegrationEvent
{
    public string StreamId => $"order-{OrderId}";
}

/// <summary>A command that records <see cref="Count"/> consecutive steps of one order, through the real outbox pipeline.</summary>
public sealed record RecordOrderSteps(long OrderId, int FirstStep, int Count) : ICommand<int>;

internal sealed class RecordOrderStepsHandler(OutboxCollector outbox) : IRequestHandler<RecordOrderSteps, int>
{
    public Task<int> Handle(RecordOrderSteps command, CancellationToken ct)
    {
        for (var step = command.FirstStep; step < command.FirstStep + command.Count; step++)
        {
            outbox.Record(new OrderStepped(command.OrderId, step));
        }

        return Task.FromResult(command.Count);
    }
}

/// <summary>Writes order streams through committed commands and remembers when each event committed.</summary>
internal static class OrderStreams
{
    /// <summary>
    /// <paramref name="streams"/> orders × <paramref name="steps"/> events, one event per transaction, by
    /// <paramref name="writers"/> concurrent writers over the given instances. Each order's steps are written by one
    /// writer, one after another (as an order row lock would serialise them); different orders interleave.
    /// </summary>
    public static async Task<Dictionary<(long OrderId, int Step), long>> WriteAsync(
        IReadOnlyList<RelayInstance> instances, long firstOrderId, int streams, int steps, int writers = 8)
    {
        var commits = new Dictionary<(long, int), long>();
        var gate = new Lock();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(async writer =>
        {
            var instance = instances[writer % instances.Count];
            var orders = Enumerable.Range(0, streams).Where(i => i % writers == writer).Select(i => firstOrderId + i).ToList();
            for (var step = 0; step < steps; step++)
            {
                foreach (var order in orders)
                {
                    await instance.SendAsync(new RecordOrderSteps(order, step, 1));
                    var committed = Stopwatch.GetTimestamp();
                    lock (gate)
                    {
                        commits[(order, step)] = committed;
                    }
                }
            }
        }));
        return commits;
    }

    public static (long OrderId, int Step) Key(this PlatformRequest request) =>
        (request.Event.Payload.GetProperty("orderId").GetInt64(), request.Event.Payload.GetProperty("step").GetInt32());

    /// <summary>
    /// <see cref="Deliveries.AssertContract"/> over the steps written (each named by its order and step, read off the
    /// payload), with the lag from each step's commit to its delivery.
    /// </summary>
    public static DeliveryFigures AssertDeliveredInStreamOrder(IReadOnlyList<PlatformRequest> requests, IReadOnlyDictionary<(long OrderId, int Step), long> commits)
    {
        Assert.All(requests, r => Assert.Equal(nameof(OrderStepped), r.Event.Type));
        var committedAt = commits.ToDictionary(c => Position(c.Key), c => c.Value);
        var figures = Deliveries.AssertContract(requests, committedAt.Keys, r => Position(r.Key()));
        return figures with { Lag = Deliveries.Lag(requests, committedAt, r => Position(r.Key())) };
    }

    private static (string Stream, long Position) Position((long OrderId, int Step) key) => ($"order-{key.OrderId}", key.Step);
}

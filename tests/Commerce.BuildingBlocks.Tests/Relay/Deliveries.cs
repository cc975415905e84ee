using System.Diagnostics;
using Commerce.Testing;

namespace Commerce.BuildingBlocks.Tests.Relay;

/// <summary>What a run looked like from the platform's side: requests, duplicates, and commit-to-delivery lag.</summary>
internal sealed record DeliveryFigures(int Events, int Requests, int DuplicateAcknowledgements, double LagP50Ms, double LagP95Ms, double LagMaxMs)
{
    public override string ToString() =>
        $"{Events} events, {Requests} requests, {DuplicateAcknowledgements} duplicate acknowledgements (same event id); " +
        $"commit-to-delivery lag p50 {LagP50Ms:0} ms, p95 {LagP95Ms:0} ms, max {LagMaxMs:0} ms";
}

internal static class Deliveries
{
    /// <summary>
    /// The delivery contract over everything the platform saw: every committed event acknowledged (0 lost, none
    /// invented), each event always under one id that is also its Idempotency-Key, and within a stream no event
    /// sent before the one committed before it was acknowledged.
    /// </summary>
    public static DeliveryFigures AssertDeliveredInStreamOrder(IReadOnlyList<PlatformRequest> requests, IReadOnlyDictionary<(long OrderId, int Step), long> commits)
    {
        Assert.All(requests, r =>
        {
            Assert.Equal(r.Event.EventId.ToString(), r.IdempotencyKey);
            Assert.Equal("application/json", r.ContentType);
            Assert.Equal(nameof(OrderStepped), r.Event.Type);
        });

        var idsPerEvent = requests.GroupBy(r => r.Key()).ToDictionary(g => g.Key, g => g.Select(r => r.Event.EventId).Distinct().ToList());
        Assert.All(idsPerEvent, e => Assert.Single(e.Value));
        Assert.Equal(idsPerEvent.Count, idsPerEvent.Values.Select(ids => ids[0]).Distinct().Count());

        var acknowledged = requests.Where(r => r.Acknowledged).GroupBy(r => r.Key()).ToDictionary(g => g.Key, g => g.ToList());
        var lost = commits.Keys.Where(k => !acknowledged.ContainsKey(k)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} committed events never acknowledged, e.g. order {lost.FirstOrDefault().OrderId} step {lost.FirstOrDefault().Step}");
        Assert.Equal(commits.Count, acknowledged.Count);

        var acknowledgedUpTo = new Dictionary<long, int>();
        var lastSequence = new Dictionary<long, long>();
        foreach (var request in requests.OrderBy(r => r.Number))
        {
            var (order, step) = request.Key();
            var done = acknowledgedUpTo.GetValueOrDefault(order, -1);
            Assert.True(step <= done + 1, $"order {order}: step {step} was sent before step {step - 1} was acknowledged");
            if (request.Acknowledged && step == done + 1)
            {
                acknowledgedUpTo[order] = step;
                Assert.True(request.Event.Sequence > lastSequence.GetValueOrDefault(order, 0), $"order {order}: sequence does not grow with the steps");
                lastSequence[order] = request.Event.Sequence;
            }
        }

        var lags = commits
            .Select(c => Math.Max(0, Stopwatch.GetElapsedTime(c.Value, acknowledged[c.Key].Min(r => r.Timestamp)).TotalMilliseconds))
            .Order()
            .ToArray();
        return new DeliveryFigures(commits.Count, requests.Count, acknowledged.Values.Sum(a => a.Count - 1),
            Percentile(lags, 0.50), Percentile(lags, 0.95), lags[^1]);
    }

    public static double Percentile(IReadOnlyList<double> sorted, double share) =>
        sorted[Math.Clamp((int)Math.Ceiling(share * sorted.Count) - 1, 0, sorted.Count - 1)];

    public static long Elapsed(long since) => (long)Stopwatch.GetElapsedTime(since).TotalMilliseconds;
}

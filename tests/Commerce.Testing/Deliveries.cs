using System.Diagnostics;
using Xunit;

namespace Commerce.Testing;

/// <summary>What a run looked like from the platform's side; <see cref="Lag"/> where the test knew when each event committed.</summary>
public sealed record DeliveryFigures(int Events, int Requests, int Acknowledgements)
{
    public int DuplicateAcknowledgements => Acknowledgements - Events;

    public DeliveryLag? Lag { get; init; }

    public override string ToString() =>
        $"{Events} events, {Requests} requests to the platform, {DuplicateAcknowledgements} duplicate acknowledgements (same event id)" +
        (Lag is { } lag ? $"; commit-to-delivery lag p50 {lag.P50Ms:0} ms, p95 {lag.P95Ms:0} ms, max {lag.MaxMs:0} ms" : "");
}

/// <summary>From each event's commit to its first acknowledgement.</summary>
public sealed record DeliveryLag(double P50Ms, double P95Ms, double MaxMs);

/// <summary>The relay's delivery contract, held against what the fake platform saw.</summary>
public static class Deliveries
{
    private sealed record OutboxRow(Guid Id, string StreamId, long Seq);

    /// <summary>
    /// The delivery contract over <paramref name="requests"/> for the <paramref name="committed"/> events, each named by
    /// its stream and its position there (which <paramref name="positionOf"/> reads off a request): every committed event
    /// acknowledged (none lost) and nothing else sent (none invented); each event always under one id, which is also its
    /// Idempotency-Key, so any duplicate carries the same id; the envelope's sequence grows with the position; and within
    /// a stream no event sent before every earlier one was acknowledged.
    /// </summary>
    public static DeliveryFigures AssertContract(
        IReadOnlyList<PlatformRequest> requests,
        IReadOnlyCollection<(string Stream, long Position)> committed,
        Func<PlatformRequest, (string Stream, long Position)> positionOf)
    {
        Assert.All(requests, r =>
        {
            Assert.Equal(r.Event.EventId.ToString(), r.IdempotencyKey);
            Assert.Equal("application/json", r.ContentType);
        });

        var known = committed.ToHashSet();
        var invented = requests.Select(positionOf).Where(p => !known.Contains(p)).Distinct().ToList();
        Assert.True(invented.Count == 0, $"the platform received {invented.Count} events that were not committed, e.g. {invented.FirstOrDefault()}");

        var idsPerEvent = requests.GroupBy(positionOf).ToDictionary(g => g.Key, g => g.Select(r => r.Event.EventId).Distinct().ToList());
        Assert.All(idsPerEvent, e => Assert.Single(e.Value));
        Assert.Equal(idsPerEvent.Count, idsPerEvent.Values.Select(ids => ids[0]).Distinct().Count());

        var acknowledged = requests.Where(r => r.Acknowledged).GroupBy(positionOf).ToDictionary(g => g.Key, g => g.ToList());
        var lost = known.Where(p => !acknowledged.ContainsKey(p)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {known.Count} committed events never acknowledged, e.g. {lost.FirstOrDefault()}");

        var streams = known.GroupBy(p => p.Stream).ToDictionary(g => g.Key, g => g.OrderBy(p => p.Position).ToList());
        foreach (var stream in streams.Values)
        {
            var sequences = stream.Select(p => acknowledged[p][0].Event.Sequence).ToList();
            Assert.True(sequences.Zip(sequences.Skip(1)).All(s => s.First < s.Second), $"{stream[0].Stream}: the sequence does not grow with the position");
        }

        // An event goes out only once every earlier event of its stream was acknowledged.
        var firstAcknowledgement = acknowledged.ToDictionary(a => a.Key, a => a.Value.Min(r => r.Number));
        foreach (var request in requests)
        {
            var (stream, position) = positionOf(request);
            var early = streams[stream]
                .TakeWhile(p => p.Position < position)
                .FirstOrDefault(p => firstAcknowledgement[p] > request.Number);
            Assert.True(early == default, $"{stream}: {position} was sent before {early.Position} was acknowledged");
        }

        return new DeliveryFigures(known.Count, requests.Count, acknowledged.Values.Sum(a => a.Count));
    }

    /// <summary>From each event's commit (a <see cref="Stopwatch"/> timestamp) to its first acknowledgement.</summary>
    public static DeliveryLag Lag(
        IReadOnlyList<PlatformRequest> requests,
        IReadOnlyDictionary<(string Stream, long Position), long> committedAt,
        Func<PlatformRequest, (string Stream, long Position)> positionOf)
    {
        var acknowledgedAt = requests.Where(r => r.Acknowledged).GroupBy(positionOf).ToDictionary(g => g.Key, g => g.Min(r => r.Timestamp));
        var lags = committedAt
            .Select(c => Math.Max(0, Stopwatch.GetElapsedTime(c.Value, acknowledgedAt[c.Key]).TotalMilliseconds))
            .Order()
            .ToArray();
        return new DeliveryLag(Percentile(lags, 0.50), Percentile(lags, 0.95), lags[^1]);
    }

    /// <summary>
    /// Waits until the relays have delivered every outbox row, then holds them to <see cref="AssertContract"/>, each
    /// request carrying its row's id, stream and sequence; never the same event in flight twice at once (no two relays
    /// claimed it). With <paramref name="exactlyOnce"/> (a healthy platform and no crash), each event is acknowledged
    /// exactly once.
    /// </summary>
    public static async Task<DeliveryFigures> AssertEveryEventDeliveredAsync(Sql sql, FakeDataPlatform platform, bool exactlyOnce, TimeSpan? timeout = null)
    {
        await Eventually.TrueAsync(
            async () => await sql.ScalarAsync<long>("SELECT count(*) FROM platform.outbox WHERE delivered_at IS NULL AND dead_lettered_at IS NULL") == 0,
            timeout ?? TimeSpan.FromSeconds(30), "the relays deliver every outbox event");
        Assert.Equal(0, await sql.ScalarAsync<long>("SELECT count(*) FROM platform.outbox WHERE dead_lettered_at IS NOT NULL"));

        var rows = (await sql.QueryAsync<OutboxRow>("SELECT id, stream_id, seq FROM platform.outbox")).ToDictionary(r => (r.StreamId, r.Seq), r => r.Id);
        var requests = platform.Requests;
        var figures = AssertContract(requests, rows.Keys, r => (r.Event.StreamId, r.Event.Sequence));
        Assert.All(requests, r => Assert.Equal(rows[(r.Event.StreamId, r.Event.Sequence)], r.Event.EventId));
        Assert.Equal(0, platform.ConcurrentDuplicates);
        if (exactlyOnce)
        {
            Assert.True(figures.DuplicateAcknowledgements == 0, $"a healthy run delivered events more than once: {figures}");
        }

        return figures;
    }

    /// <summary>The nearest-rank percentile of sorted samples; 0 for none.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double share) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(share * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>Whole milliseconds since a <see cref="Stopwatch"/> timestamp.</summary>
    public static long Elapsed(long since) => (long)Stopwatch.GetElapsedTime(since).TotalMilliseconds;
}

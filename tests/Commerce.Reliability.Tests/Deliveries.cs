using Commerce.Testing;

namespace Commerce.Reliability.Tests;

internal sealed record DeliveryFigures(int Events, int Requests, int Acknowledgements)
{
    public int DuplicateAcknowledgements => Acknowledgements - Events;

    public override string ToString() =>
        $"{Events} outbox events, {Requests} requests to the platform, {DuplicateAcknowledgements} duplicate acknowledgements (same event id)";
}

internal static class Deliveries
{
    private sealed record OutboxRow(Guid Id, string StreamId, long Seq);

    /// <summary>
    /// Waits until the relays have delivered every outbox row, then holds them to the delivery contract over
    /// everything the platform saw: every event acknowledged (none lost) and nothing else (none invented); each
    /// event always under one id, which is also its Idempotency-Key, so any duplicate carries the same id; never the
    /// same event in flight twice at once (no two relays claimed it); within a stream, no event sent before the
    /// one committed before it was acknowledged. With <paramref name="exactlyOnce"/> (a healthy platform and no
    /// crash), each event is acknowledged exactly once.
    /// </summary>
    public static async Task<DeliveryFigures> AssertEveryEventDeliveredAsync(Sql sql, FakeDataPlatform platform, bool exactlyOnce, TimeSpan? timeout = null)
    {
        await Eventually.TrueAsync(
            async () => await sql.ScalarAsync<long>("SELECT count(*) FROM platform.outbox WHERE delivered_at IS NULL AND dead_lettered_at IS NULL") == 0,
            timeout ?? TimeSpan.FromSeconds(30), "the relays deliver every outbox event");
        Assert.Equal(0, await sql.ScalarAsync<long>("SELECT count(*) FROM platform.outbox WHERE dead_lettered_at IS NOT NULL"));

        var rows = (await sql.QueryAsync<OutboxRow>("SELECT id, stream_id, seq FROM platform.outbox")).ToDictionary(r => r.Id);
        var requests = platform.Requests;
        var acknowledged = requests.Where(r => r.Acknowledged).GroupBy(r => r.Event.EventId).ToDictionary(g => g.Key, g => g.ToList());

        var lost = rows.Keys.Where(id => !acknowledged.ContainsKey(id)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {rows.Count} committed events never reached the platform, e.g. {lost.FirstOrDefault()}");
        var invented = requests.Select(r => r.Event.EventId).Where(id => !rows.ContainsKey(id)).Distinct().ToList();
        Assert.True(invented.Count == 0, $"the platform received {invented.Count} events that are not in the outbox");

        Assert.All(requests, r =>
        {
            Assert.Equal(r.Event.EventId.ToString(), r.IdempotencyKey);
            Assert.Equal((rows[r.Event.EventId].StreamId, rows[r.Event.EventId].Seq), (r.Event.StreamId, r.Event.Sequence));
        });
        Assert.Equal(0, platform.ConcurrentDuplicates);

        // Within a stream, an event goes out only once every earlier event of the stream was acknowledged.
        var firstAcknowledgement = acknowledged.ToDictionary(a => a.Key, a => a.Value.Min(r => r.Number));
        var earlierInStream = rows.Values.GroupBy(r => r.StreamId).ToDictionary(g => g.Key, g => g.OrderBy(r => r.Seq).ToList());
        foreach (var request in requests)
        {
            var early = earlierInStream[request.Event.StreamId]
                .TakeWhile(r => r.Seq < request.Event.Sequence)
                .FirstOrDefault(r => firstAcknowledgement[r.Id] > request.Number);
            Assert.True(early is null, $"{request.Event.StreamId}: seq {request.Event.Sequence} was sent before seq {early?.Seq} was acknowledged");
        }

        var figures = new DeliveryFigures(rows.Count, requests.Count, acknowledged.Values.Sum(a => a.Count));
        if (exactlyOnce)
        {
            Assert.True(figures.DuplicateAcknowledgements == 0, $"a healthy run delivered events more than once: {figures}");
        }

        return figures;
    }
}

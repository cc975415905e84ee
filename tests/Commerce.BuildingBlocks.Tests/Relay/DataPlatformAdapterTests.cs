using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.BuildingBlocks.Tests.Relay;

public sealed class DataPlatformAdapterTests
{
    private static readonly DataPlatformEvent Sample = new(
        Guid.CreateVersion7(), "PointsCharged", 2, new DateTimeOffset(2025, 3, 1, 9, 30, 0, TimeSpan.Zero), "member-7", 42,
        """{"memberId": 7, "amount": 5000}""");

    [Theory]
    [InlineData(200, DeliveryStatus.Acknowledged)]
    [InlineData(201, DeliveryStatus.Acknowledged)]
    [InlineData(202, DeliveryStatus.Acknowledged)]
    [InlineData(204, DeliveryStatus.Acknowledged)]
    [InlineData(400, DeliveryStatus.Rejected)]
    [InlineData(422, DeliveryStatus.Rejected)]
    [InlineData(401, DeliveryStatus.Refused)]
    [InlineData(403, DeliveryStatus.Refused)]
    [InlineData(404, DeliveryStatus.Refused)]
    [InlineData(405, DeliveryStatus.Refused)]
    [InlineData(409, DeliveryStatus.Refused)]
    [InlineData(413, DeliveryStatus.Refused)]
    [InlineData(301, DeliveryStatus.Refused)]
    [InlineData(408, DeliveryStatus.Retry)]
    [InlineData(429, DeliveryStatus.Retry)]
    [InlineData(500, DeliveryStatus.Retry)]
    [InlineData(502, DeliveryStatus.Retry)]
    [InlineData(503, DeliveryStatus.Retry)]
    public async Task The_http_adapter_dead_letters_only_400_and_422_and_retries_refusals_and_outages(int status, DeliveryStatus expected)
    {
        await using var platform = await FakeDataPlatform.StartAsync();
        platform.Answer = _ => status;
        var settings = RelayInstance.Settings(platform);
        // The adapter alone: the relay's short test timeout would race the first, cold request.
        settings["Commerce:DataPlatform:Timeout"] = "00:00:10";
        await using var instance = RelayInstance.Create("Host=unused", settings);
        var adapter = Assert.IsType<HttpDataPlatform>(instance.Services.GetRequiredService<IDataPlatform>());

        var result = await adapter.DeliverAsync(Sample, CancellationToken.None);

        Assert.Equal(expected, result.Status);
        if (expected != DeliveryStatus.Acknowledged)
        {
            Assert.StartsWith($"HTTP {status}", result.Error);
        }

        var request = Assert.Single(platform.Requests);
        Assert.Equal(Sample.EventId.ToString(), request.IdempotencyKey);
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal(Sample with { Payload = "" }, new DataPlatformEvent(request.Event.EventId, request.Event.Type, request.Event.Version,
            request.Event.OccurredAt, request.Event.StreamId, request.Event.Sequence, ""));
        Assert.Equal(5000, request.Event.Payload.GetProperty("amount").GetInt64());
    }

    [Fact]
    public async Task The_http_adapter_retries_when_nothing_listens_at_the_platform_address()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var settings = RelayInstance.Settings(null);
        settings["Commerce:DataPlatform:Url"] = $"http://127.0.0.1:{port}/events";
        settings["Commerce:DataPlatform:Timeout"] = "00:00:10";
        await using var instance = RelayInstance.Create("Host=unused", settings);

        var result = await instance.Services.GetRequiredService<IDataPlatform>().DeliverAsync(Sample, CancellationToken.None);

        Assert.Equal(DeliveryStatus.Retry, result.Status);
        Assert.StartsWith("No connection to the data platform", result.Error);
    }

    [Fact]
    public void The_envelope_carries_id_type_version_time_stream_sequence_and_the_payload_as_json()
    {
        using var envelope = JsonDocument.Parse(Sample.ToJson());

        Assert.Equal(
            $$$"""{"eventId":"{{{Sample.EventId}}}","type":"PointsCharged","version":2,"occurredAt":"2025-03-01T09:30:00Z","streamId":"member-7","sequence":42,"payload":{"memberId": 7, "amount": 5000}}""",
            System.Text.Encoding.UTF8.GetString(Sample.ToJson()));
        Assert.Equal(JsonValueKind.Object, envelope.RootElement.GetProperty("payload").ValueKind);
    }

    [Fact]
    public async Task Without_a_platform_url_events_are_appended_as_json_lines_to_the_local_sink_in_the_data_directory()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "commerce-sink-" + Guid.NewGuid().ToString("N"));
        try
        {
            var settings = RelayInstance.Settings(null);
            settings["Commerce:DataDirectory"] = dataDirectory;
            var database = await TestPostgres.CreateDatabaseAsync();
            await using var relay = RelayInstance.Create(database, settings);
            var sink = Path.Combine(dataDirectory, "data-platform", "events.jsonl");
            Assert.Equal(sink, relay.Services.GetRequiredService<IDataPlatform>().Destination);
            await OrderStreams.WriteAsync([relay], firstOrderId: 1, streams: 3, steps: 2, writers: 3);

            await relay.StartAsync();
            await WaitForLinesAsync(sink, 6);
            // A line on disk is acknowledged a moment before the relay records it delivered; stopping in between rightly
            // leaves the event to be sent again, so wait for the records too.
            await Eventually.TrueAsync(async () => await new Sql(database).ScalarAsync<long>(
                "SELECT count(*) FROM platform.outbox WHERE delivered_at IS NOT NULL") == 6, TimeSpan.FromSeconds(30), "the relay records the six deliveries");
            await relay.StopAsync();

            var lines = (await File.ReadAllLinesAsync(sink)).Select(line => JsonDocument.Parse(line).RootElement).ToList();
            Assert.Equal(6, lines.Count);
            Assert.All(lines, line => Assert.Equal(
                ["eventId", "type", "version", "occurredAt", "streamId", "sequence", "payload"],
                line.EnumerateObject().Select(p => p.Name)));
            foreach (var stream in lines.GroupBy(l => l.GetProperty("streamId").GetString()))
            {
                Assert.Equal([0, 1], stream.Select(l => l.GetProperty("payload").GetProperty("step").GetInt32()));
            }

            Assert.Equal(6, await new Sql(database).ScalarAsync<long>("SELECT count(*) FROM platform.outbox WHERE delivered_at IS NOT NULL"));
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static async Task WaitForLinesAsync(string path, int count)
    {
        for (var i = 0; i < 500; i++)
        {
            if (File.Exists(path) && (await File.ReadAllLinesAsync(path)).Length >= count)
            {
                return;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"{path} did not get {count} lines.");
    }
}

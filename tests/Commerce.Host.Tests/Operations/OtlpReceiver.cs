using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Commerce.Host.Tests.Operations;

/// <summary>
/// An OTLP/HTTP collector on a loopback port: keeps every protobuf body posted to <c>/v1/traces</c> and
/// <c>/v1/metrics</c> and answers 200, as a real collector does.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private OtlpReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<byte[]> Traces { get; } = new();

    public ConcurrentQueue<byte[]> Metrics { get; } = new();

    public string Endpoint { get; private set; } = "";

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", (HttpRequest request) => Keep(request, receiver.Traces));
        app.MapPost("/v1/metrics", (HttpRequest request) => Keep(request, receiver.Metrics));
        await app.StartAsync();
        receiver.Endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return receiver;
    }

    private static async Task<IResult> Keep(HttpRequest request, ConcurrentQueue<byte[]> into)
    {
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        into.Enqueue(body.ToArray());
        return Results.Bytes([], "application/x-protobuf");
    }

    /// <summary>Every span received so far (OTLP's ExportTraceServiceRequest, read field by field).</summary>
    public IReadOnlyList<ReceivedSpan> Spans() =>
        Traces.SelectMany(body =>
            from resourceSpans in Protobuf.Messages(body, 1)
            from scopeSpans in Protobuf.Messages(resourceSpans, 2)
            let scope = Protobuf.Messages(scopeSpans, 1).Select(s => Protobuf.String(s, 1)).FirstOrDefault() ?? ""
            from span in Protobuf.Messages(scopeSpans, 2)
            select new ReceivedSpan(
                Convert.ToHexStringLower(Protobuf.Bytes(span, 1)),
                Convert.ToHexStringLower(Protobuf.Bytes(span, 2)),
                Convert.ToHexStringLower(Protobuf.Bytes(span, 4)),
                Protobuf.String(span, 5) ?? "",
                scope)).ToList();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

public sealed record ReceivedSpan(string TraceId, string SpanId, string ParentSpanId, string Name, string Scope);

/// <summary>Just enough of the protobuf wire format to walk OTLP's length-delimited fields.</summary>
internal static class Protobuf
{
    public static IEnumerable<byte[]> Messages(byte[] message, int field) => Fields(message).Where(f => f.Field == field).Select(f => f.Value);

    public static byte[] Bytes(byte[] message, int field) => Messages(message, field).FirstOrDefault() ?? [];

    public static string? String(byte[] message, int field) =>
        Messages(message, field).Select(b => System.Text.Encoding.UTF8.GetString(b)).FirstOrDefault();

    private static List<(int Field, byte[] Value)> Fields(byte[] message)
    {
        var fields = new List<(int, byte[])>();
        var position = 0;
        while (position < message.Length)
        {
            var key = Varint(message, ref position);
            var wireType = (int)(key & 7);
            switch (wireType)
            {
                case 0:
                    Varint(message, ref position);
                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    var length = (int)Varint(message, ref position);
                    fields.Add(((int)(key >> 3), message[position..(position + length)]));
                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"Unexpected protobuf wire type {wireType}.");
            }
        }

        return fields;
    }

    private static ulong Varint(byte[] message, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = message[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }
}

using System.Buffers;
using System.Text.Json;

namespace Commerce.BuildingBlocks.Outbox;

/// <summary>
/// The embedded default when no platform URL is configured: each event's envelope appended as one JSON line to
/// a file, flushed to disk before it counts as acknowledged (so a crash cannot lose an event marked delivered).
/// Group commit: the lines that arrive while a flush is under way are written together and flushed once, so the
/// relay's lanes share an fsync instead of queueing for one each (an fsync costs milliseconds, on the disk that also
/// holds PostgreSQL's WAL).
/// </summary>
internal sealed class FileDataPlatform(string path) : IDataPlatform
{
    private static ReadOnlySpan<byte> NewLine => "\n"u8;
    private readonly Lock _lock = new();
    private List<Pending> _waiting = [];
    private bool _writing;

    public string Destination => path;

    public Task<DeliveryResult> DeliverAsync(DataPlatformEvent message, CancellationToken ct) => DeliverAllAsync([message], ct);

    /// <summary>
    /// The relay's batch in one go: its lines written together (with those of other lanes' batches meanwhile) and
    /// flushed once, one result for them all.
    /// </summary>
    internal async Task<DeliveryResult> DeliverAllAsync(IReadOnlyList<DataPlatformEvent> messages, CancellationToken ct)
    {
        var lines = new ArrayBufferWriter<byte>(messages.Count * 512);
        using (var json = new Utf8JsonWriter(lines))
        {
            foreach (var message in messages)
            {
                message.WriteJson(json);
                json.Flush();
                lines.Write(NewLine);
                json.Reset();
            }
        }

        var pending = new Pending(lines.WrittenMemory);
        bool write;
        lock (_lock)
        {
            _waiting.Add(pending);
            write = !_writing;
            _writing = true;
        }

        if (write)
        {
            // One writer drains every batch that gathers until none is left; it runs on its own so that the caller
            // who started it waits only for its own lines, not for the lines of everyone who came after.
            _ = Task.Run(WriteBatchesAsync, CancellationToken.None);
        }

        // A caller that gives up (timeout, shutdown) may still see its lines written: not acknowledged, they are sent
        // again, which at-least-once delivery allows.
        return await pending.Done.Task.WaitAsync(ct);
    }

    private async Task WriteBatchesAsync()
    {
        while (true)
        {
            List<Pending> batch;
            lock (_lock)
            {
                if (_waiting.Count == 0)
                {
                    _writing = false;
                    return;
                }

                batch = _waiting;
                _waiting = [];
            }

            try
            {
                var result = await WriteAsync(batch);
                batch.ForEach(p => p.Done.TrySetResult(result));
            }
            catch (Exception e)
            {
                // Whatever went wrong reaches every caller of the batch, as it did each caller alone; the next batch
                // is written as usual.
                batch.ForEach(p => p.Done.TrySetException(e));
            }
        }
    }

    private async Task<DeliveryResult> WriteAsync(List<Pending> batch)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // Opened per batch so the file can be moved away or deleted while the host runs. The write itself is
            // not cancellable: lines are written whole.
            await using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, FileOptions.Asynchronous);
            foreach (var pending in batch)
            {
                await file.WriteAsync(pending.Lines, CancellationToken.None);
            }

            await file.FlushAsync(CancellationToken.None);
            file.Flush(flushToDisk: true);
            return DeliveryResult.Acknowledged;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return DeliveryResult.Retry($"Cannot write {path}: {e.Message}");
        }
    }

    private sealed record Pending(ReadOnlyMemory<byte> Lines)
    {
        public TaskCompletionSource<DeliveryResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

namespace Commerce.BuildingBlocks.Outbox;

/// <summary>
/// The embedded default when no platform URL is configured: each event's envelope appended as one JSON line to
/// a file, flushed to disk before it counts as acknowledged (so a crash cannot lose an event marked delivered).
/// </summary>
internal sealed class FileDataPlatform(string path) : IDataPlatform, IDisposable
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private readonly SemaphoreSlim _gate = new(1, 1);

    public string Destination => path;

    public async Task<DeliveryResult> DeliverAsync(DataPlatformEvent message, CancellationToken ct)
    {
        var line = message.ToJson();
        await _gate.WaitAsync(ct);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // Opened per event so the file can be moved away or deleted while the host runs. The write itself is
            // not cancellable: a line is written whole.
            await using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.Asynchronous);
            await file.WriteAsync(line, CancellationToken.None);
            await file.WriteAsync(NewLine, CancellationToken.None);
            file.Flush(flushToDisk: true);
            return DeliveryResult.Acknowledged;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return DeliveryResult.Retry($"Cannot write {path}: {e.Message}");
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}

using System.Threading.Channels;
using Serilog.Core;
using Serilog.Debugging;
using Serilog.Events;

namespace Commerce.Host.Logging;

/// <summary>
/// Hands events to the console on a background loop that drains whatever has queued, then pauses briefly. Serilog.Sinks.Async
/// woke its worker for every event, and the worker spun (<c>sched_yield</c>) each time the queue ran dry: at one request-log
/// line per request that was about a tenth of the host's CPU under a charge load (BENCHMARKS.md, "Tuning"). Here the loop
/// waits asynchronously (no spinning) and writes at most once per <see cref="Pause"/>. Order is kept; a full queue blocks the
/// caller rather than losing lines; disposing writes what is queued.
/// </summary>
internal sealed class PausingAsyncSink : ILogEventSink, IDisposable
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(20);

    private readonly ILogEventSink _inner;
    private readonly Channel<LogEvent> _queue;
    private readonly Task _pump;

    public PausingAsyncSink(ILogEventSink inner, int capacity)
    {
        _inner = inner;
        _queue = Channel.CreateBounded<LogEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _pump = Task.Run(PumpAsync);
    }

    public void Emit(LogEvent logEvent)
    {
        if (!_queue.Writer.TryWrite(logEvent))
        {
            // Full (a burst faster than the console): wait for room, as blockWhenFull did. Fails only after disposal.
            try
            {
                _queue.Writer.WriteAsync(logEvent).AsTask().GetAwaiter().GetResult();
            }
            catch (ChannelClosedException)
            {
            }
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _pump.GetAwaiter().GetResult();
        (_inner as IDisposable)?.Dispose();
    }

    private async Task PumpAsync()
    {
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (_queue.Reader.TryRead(out var logEvent))
            {
                try
                {
                    _inner.Emit(logEvent);
                }
                catch (Exception e)
                {
                    SelfLog.WriteLine("The console sink failed: {0}", e);
                }
            }

            await Task.Delay(Pause).ConfigureAwait(false);
        }
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Commerce.BuildingBlocks.Tests.Relay;

/// <summary>Every log line of an instance, in memory, so a test can count what an operator would see.</summary>
internal sealed class CollectedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> _lines = new();

    public int Count(LogLevel level, string? containing = null) =>
        _lines.Count(l => l.Level == level && (containing is null || l.Message.Contains(containing, StringComparison.Ordinal)));

    public ILogger CreateLogger(string categoryName) => new Logger(_lines);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<(LogLevel, string)> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue((logLevel, formatter(state, exception)));
    }
}

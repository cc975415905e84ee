using System.Diagnostics;
using Commerce.Host.Logging;
using Commerce.Host.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Serilog.Events;

namespace Commerce.Host.Tests;

/// <summary>Shed requests are summed up in one warning per kind and second, and left out of the request log.</summary>
[Collection(ShedCounter.Collection)]
public sealed class SheddingReportTests
{
    [Fact]
    public void Sheds_are_logged_as_one_summary_line_per_kind()
    {
        var log = new ListLogger();
        using var report = new SheddingReport(log, TimeProvider.System);
        for (var i = 0; i < 3; i++)
        {
            report.Record(RequestKind.Read);
        }

        for (var i = 0; i < 500; i++)
        {
            report.Record(RequestKind.Write);
        }

        report.Flush();
        report.Flush();

        Assert.Equal(
            [
                "Warning: Shed 3 read requests in the last second (503 OVERLOADED): more arrived than the instance admits",
                "Warning: Shed 500 write requests in the last second (503 OVERLOADED): more arrived than the instance admits",
            ],
            log.Entries.Select(e => $"{e.Level}: {e.Message}"));
    }

    [Fact]
    public async Task A_running_report_logs_a_steady_stream_of_sheds_at_most_once_a_second()
    {
        var log = new ListLogger();
        using var report = new SheddingReport(log, TimeProvider.System);
        await report.StartAsync(CancellationToken.None);

        var shed = 0;
        var stream = Stopwatch.StartNew();
        while (stream.Elapsed < TimeSpan.FromSeconds(2.5))
        {
            report.Record(RequestKind.Write);
            shed++;
            await Task.Delay(1);
        }

        await report.StopAsync(CancellationToken.None);

        // Stopping reports the rest: every shed request is in some line, and a line came at most once a second.
        Assert.Equal(shed, log.Entries.Sum(e => e.Count));
        Assert.InRange(log.Entries.Count, 1, 4);
        var apart = log.Entries.Zip(log.Entries.Skip(1), (a, b) => b.At - a.At).SkipLast(1);
        Assert.All(apart, gap => Assert.True(gap >= TimeSpan.FromMilliseconds(990), $"two lines {gap.TotalMilliseconds:0} ms apart"));
    }

    [Fact]
    public void A_shed_request_is_left_out_of_the_request_log_at_the_shipped_level_but_other_503s_are_not()
    {
        var shed = new DefaultHttpContext();
        shed.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        shed.Items[OverloadShedding.ShedKey] = RequestKind.Write;
        var unavailable = new DefaultHttpContext();
        unavailable.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;

        Assert.Equal(LogEventLevel.Debug, RequestLogging.Level(shed, null));
        Assert.Equal(LogEventLevel.Error, RequestLogging.Level(unavailable, null));
    }

    private sealed class ListLogger : ILogger<SheddingReport>
    {
        private readonly List<(LogLevel Level, string Message, long Count, TimeSpan At)> _entries = [];
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        public IReadOnlyList<(LogLevel Level, string Message, long Count, TimeSpan At)> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var count = state is IReadOnlyList<KeyValuePair<string, object?>> values && values.First(v => v.Key == "Count").Value is long n ? n : 0;
            lock (_entries)
            {
                _entries.Add((logLevel, formatter(state, exception), count, _clock.Elapsed));
            }
        }
    }
}

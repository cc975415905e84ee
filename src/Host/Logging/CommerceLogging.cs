using System.Diagnostics;
using System.Globalization;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Json;

namespace Commerce.Host.Logging;

internal static class CommerceLogging
{
    // {TraceId} is the request's W3C trace id (empty outside requests), the same one problem details carry.
    private const string TextTemplate = "[{Timestamp:HH:mm:ss.fff} {Level:u3}] [{TraceId}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <summary>
    /// Until the host's own logger exists: what goes wrong before (or while) the host is built still reaches the
    /// console through Serilog, in the configured format (<c>Commerce__Logging__Json</c> is read from the environment,
    /// the only configuration there is yet).
    /// </summary>
    public static Serilog.ILogger CreateBootstrapLogger() =>
        WriteToConsole(new LoggerConfiguration().MinimumLevel.Information().Enrich.FromLogContext(),
            bool.TryParse(Environment.GetEnvironmentVariable("Commerce__Logging__Json"), out var json) && json, asynchronous: false).CreateLogger();

    /// <summary>
    /// Serilog to the console: plain text, or JSON with <c>Commerce:Logging:Json=true</c>. Levels come from the <c>Serilog</c>
    /// section. The console sink is wrapped in an asynchronous one, so request threads never wait on stdout.
    /// </summary>
    public static Serilog.ILogger AddCommerceLogging(this WebApplicationBuilder builder)
    {
        var configuration = new LoggerConfiguration()
            .ReadFrom.Configuration(builder.Configuration)
            .Enrich.FromLogContext();
        // One knob for the overall level (e.g. Commerce__Logging__MinimumLevel=Warning under load); the Serilog section stays for fine-tuning.
        if (builder.Configuration["Commerce:Logging:MinimumLevel"] is { Length: > 0 } level)
        {
            configuration.MinimumLevel.Is(Enum.Parse<LogEventLevel>(level, ignoreCase: true));
        }

        var logger = WriteToConsole(configuration, builder.Configuration.GetValue<bool>("Commerce:Logging:Json"), asynchronous: true).CreateLogger();
        builder.Logging.ClearProviders();
        // Also registers Serilog's IDiagnosticContext, which the request log uses; disposing the logger with the host
        // flushes the asynchronous sink's queue.
        builder.Services.AddSerilog(logger, dispose: true);
        builder.Services.AddSingleton(logger);

        // ASP.NET Core only creates a request Activity when something listens; this listener makes every
        // request carry a W3C trace id for the logs and the problem details, without recording anything.
        // (With tracing exported, OpenTelemetry's own listener records the sampled ones.)
        ActivitySource.AddActivityListener(new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
        });
        return logger;
    }

    private static LoggerConfiguration WriteToConsole(LoggerConfiguration configuration, bool json, bool asynchronous)
    {
        void Console(Serilog.Configuration.LoggerSinkConfiguration sink)
        {
            if (json)
            {
                sink.Console(new JsonFormatter(renderMessage: true));
            }
            else
            {
                sink.Console(outputTemplate: TextTemplate, formatProvider: CultureInfo.InvariantCulture);
            }
        }

        if (asynchronous)
        {
            // Past 10,000 queued events a burst waits for the console rather than losing log lines.
            return configuration.WriteTo.Sink(Serilog.Configuration.LoggerSinkConfiguration.Wrap(inner => new PausingAsyncSink(inner, capacity: 10_000), Console));
        }

        Console(configuration.WriteTo);
        return configuration;
    }
}

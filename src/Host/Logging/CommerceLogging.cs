using System.Diagnostics;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Json;

namespace Commerce.Host.Logging;

internal static class CommerceLogging
{
    // {TraceId} is the request's W3C trace id (empty outside requests), the same one problem details carry.
    private const string TextTemplate = "[{Timestamp:HH:mm:ss.fff} {Level:u3}] [{TraceId}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    /// <summary>Serilog to the console: plain text, or JSON with <c>Commerce:Logging:Json=true</c>. Levels come from the <c>Serilog</c> section.</summary>
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

        configuration = builder.Configuration.GetValue<bool>("Commerce:Logging:Json")
            ? configuration.WriteTo.Console(new JsonFormatter(renderMessage: true))
            : configuration.WriteTo.Console(outputTemplate: TextTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture);

        var logger = configuration.CreateLogger();
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger, dispose: true);

        // ASP.NET Core only creates a request Activity when something listens; this listener makes every
        // request carry a W3C trace id for the logs and the problem details, without recording anything.
        ActivitySource.AddActivityListener(new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.PropagationData,
        });
        return logger;
    }
}

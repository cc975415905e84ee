using Commerce.Host.RateLimiting;
using Microsoft.AspNetCore.Diagnostics;
using Serilog;
using Serilog.Events;

namespace Commerce.Host.Logging;

/// <summary>
/// Serilog's request log (one event per request), keeping what the hand-written one promised: method, route template
/// (never the raw path, which may carry ids, or a query string with tokens), status and elapsed time, with the trace id
/// every event carries. Bodies and headers are never logged.
/// </summary>
internal static class RequestLogging
{
    private const string Unmatched = "(no route)";

    public static IApplicationBuilder UseCommerceRequestLogging(this WebApplication app) => app.UseSerilogRequestLogging(options =>
    {
        // This host's logger, not the static one (several hosts share a test process).
        options.Logger = app.Services.GetRequiredService<Serilog.ILogger>();
        options.MessageTemplate = "HTTP {RequestMethod} {Route} responded {StatusCode} in {Elapsed:0.0} ms";
        options.GetLevel = (context, _, exception) => Level(context, exception);
        // Replaces the default properties, which include RequestPath: the raw path never reaches an event.
        options.GetMessageTemplateProperties = (context, _, elapsed, status) =>
        [
            new LogEventProperty("RequestMethod", new ScalarValue(context.Request.Method)),
            new LogEventProperty("Route", new ScalarValue(Route(context))),
            new LogEventProperty("StatusCode", new ScalarValue(status)),
            new LogEventProperty("Elapsed", new ScalarValue(elapsed)),
        ];
    });

    /// <summary>
    /// Errors at Error. A shed request is Debug, below the shipped level: <see cref="SheddingReport"/> sums them up once a
    /// second, since an overloaded instance refuses thousands and a line each costs CPU it does not have.
    /// </summary>
    internal static LogEventLevel Level(HttpContext context, Exception? exception) =>
        context.Items.ContainsKey(OverloadShedding.ShedKey) ? LogEventLevel.Debug
        : exception is not null || context.Response.StatusCode >= 500 ? LogEventLevel.Error
        : LogEventLevel.Information;

    /// <summary>The matched route's template. An answer the exception handler wrote (every 4xx problem a handler throws, and
    /// the 500s) has lost its endpoint by the time the request ends (the handler clears it before re-running the
    /// pipeline); the feature it leaves keeps the one that threw.</summary>
    internal static string Route(HttpContext context) =>
        ((context.GetEndpoint() ?? context.Features.Get<IExceptionHandlerFeature>()?.Endpoint) as RouteEndpoint)?.RoutePattern.RawText ?? Unmatched;
}

using System.Diagnostics;

namespace Commerce.Host.Logging;

/// <summary>
/// One event per request: method, route template (not the raw path, which may carry ids or tokens in a
/// query string), status and elapsed time. Bodies and headers are never logged.
/// </summary>
internal sealed class RequestLogging(RequestDelegate next, ILogger<RequestLogging> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var status = context.Response.StatusCode;
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path.Value;
            logger.Log(status >= 500 ? LogLevel.Error : LogLevel.Information,
                "HTTP {Method} {Route} responded {StatusCode} in {ElapsedMs:0.0} ms",
                context.Request.Method, route, status, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}

using System.Diagnostics;
using Commerce.BuildingBlocks.Errors;
using MediatR;
using Microsoft.Extensions.Logging;

namespace Commerce.BuildingBlocks.Mediation;

/// <summary>
/// Outermost: one debug line per request and one information line per business failure. Unexpected
/// exceptions are logged once, by the Host's problem mapper. Requests are never logged whole: they
/// may carry passwords.
/// </summary>
internal sealed class LoggingBehavior<TRequest, TResponse>(ILogger<LoggingBehavior<TRequest, TResponse>> logger)
    : IPipelineBehavior<TRequest, TResponse>
{
    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await next();
            logger.LogDebug("{Request} handled in {ElapsedMs:0.0} ms", typeof(TRequest).Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return response;
        }
        catch (AppException e)
        {
            logger.LogInformation("{Request} refused with {Code} in {ElapsedMs:0.0} ms: {Detail}",
                typeof(TRequest).Name, e.Code, Stopwatch.GetElapsedTime(started).TotalMilliseconds, e.Message);
            throw;
        }
    }
}

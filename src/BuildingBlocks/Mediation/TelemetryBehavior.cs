using System.Diagnostics;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Telemetry;
using FluentValidation;
using MediatR;
using Npgsql;

namespace Commerce.BuildingBlocks.Mediation;

/// <summary>
/// Outermost: a span named after the feature and the <c>commerce.command.duration</c> histogram, by outcome (<c>ok</c>,
/// or the problem code the request was refused with); lock timeouts and sold-out answers are counted here, from the
/// exceptions, so no handler has to.
/// </summary>
internal sealed class TelemetryBehavior<TRequest, TResponse> : IPipelineBehavior<TRequest, TResponse>
{
    private static readonly string Name = typeof(TRequest).Name;

    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        var isRoot = CommerceTelemetry.EnterRequest(Name);
        using var activity = CommerceTelemetry.Source.StartActivity(Name);
        var started = Stopwatch.GetTimestamp();
        var outcome = "ok";
        try
        {
            return await next();
        }
        catch (Exception e)
        {
            outcome = Outcome(e, isRoot);
            activity?.SetStatus(ActivityStatusCode.Error, outcome);
            throw;
        }
        finally
        {
            activity?.SetTag("commerce.outcome", outcome);
            CommerceTelemetry.RecordCommand(Name, outcome, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    // Counted by the outermost request only: a nested step's exception passes through its caller's behaviour too.
    private static string Outcome(Exception e, bool isRoot)
    {
        switch (e)
        {
            case AppException app:
                if (isRoot && app.Code.EndsWith("SOLD_OUT", StringComparison.Ordinal) && app.Extensions.TryGetValue("campaignId", out var campaignId))
                {
                    CommerceTelemetry.RecordSoldOut(campaignId);
                }

                return app.Code;
            case ValidationException:
                return ErrorCodes.ValidationFailed;
            case PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable }:
                if (isRoot)
                {
                    CommerceTelemetry.RecordLockTimeout(Name);
                }

                return ErrorCodes.LockTimeout;
            case OperationCanceledException:
                return "cancelled";
            default:
                return "error";
        }
    }
}

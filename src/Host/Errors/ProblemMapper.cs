using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Commerce.BuildingBlocks.Errors;
using FluentValidation;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Commerce.Host.Errors;

/// <summary>
/// The one place an exception becomes an HTTP answer: RFC 9457 problem details with a stable
/// <c>code</c> and the trace id. Details are written for the client and never carry SQL, stack traces
/// or type names; anything unexpected is logged here, once, and answered with a bare 500.
/// </summary>
internal sealed partial class ProblemMapper(IProblemDetailsService problems, ILogger<ProblemMapper> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody is left to read an answer.
            return true;
        }

        var problem = Map(exception);
        if (problem.Status >= 500 && problem.Extensions["code"] is ErrorCodes.Internal)
        {
            logger.LogError(exception, "Unhandled {Exception} on {Method} {Path}", exception.GetType().Name, context.Request.Method, context.Request.Path);
        }
        else if (problem.Status >= 500)
        {
            logger.LogWarning("{Code} on {Method} {Path}: {Message}", problem.Extensions["code"], context.Request.Method, context.Request.Path, exception.Message);
        }

        context.Response.StatusCode = problem.Status!.Value;
        if (problem.Extensions.TryGetValue("retryAfter", out var retryAfter))
        {
            context.Response.Headers.RetryAfter = retryAfter!.ToString();
            problem.Extensions.Remove("retryAfter");
        }

        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = problem,
            Exception = exception,
        });
    }

    internal static ProblemDetails Map(Exception exception) => exception switch
    {
        AppException e => WithExtensions(Problem(e.Status, e.Code, e.Message), e.Extensions),
        ValidationException e => Validation(e),
        BadHttpRequestException e => BadRequest(e),
        PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable } =>
            Retryable(Problem(409, ErrorCodes.LockTimeout, "The resource is busy; try again.")),
        PostgresException { SqlState: PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure or DatabaseRefusal.StaleReadSqlState } =>
            Retryable(Problem(409, ErrorCodes.LockTimeout, "The request collided with concurrent ones; try again.")),
        // Text PostgreSQL cannot store (a NUL character): bad input, wherever it came from.
        PostgresException { SqlState: PostgresErrorCodes.CharacterNotInRepertoire or PostgresErrorCodes.UntranslatableCharacter } =>
            Problem(400, ErrorCodes.MalformedRequest, "The request contains characters that cannot be stored (such as NUL)."),
        PostgresException { SqlState: PostgresErrorCodes.QueryCanceled } =>
            Retryable(Problem(503, ErrorCodes.Busy, "The request took too long; try again.")),
        PostgresException { SqlState: var state } when IsUnavailable(state) => Unavailable(),
        NpgsqlException { InnerException: SocketException or TimeoutException or IOException or EndOfStreamException } => Unavailable(),
        NpgsqlException e when e.IsTransient => Unavailable(),
        SocketException or TimeoutException => Unavailable(),
        // A framework part that wraps what it could not do (Data Protection reading its key ring from the database
        // while the pool is exhausted throws a CryptographicException around the Npgsql one): the cause decides.
        { InnerException: { } inner } when IsDatabaseUnavailable(Map(inner)) => Unavailable(),
        _ => Problem(500, ErrorCodes.Internal, "Something went wrong on our side. The trace id identifies it in our logs."),
    };

    // Class 08 (connection), 53 (insufficient resources), 57P01-57P03 (shutdown, cannot connect now).
    private static bool IsUnavailable(string state) =>
        state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("53", StringComparison.Ordinal) ||
        state is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow;

    private static bool IsDatabaseUnavailable(ProblemDetails problem) =>
        problem.Status == 503 && problem.Extensions["code"] is ErrorCodes.DatabaseUnavailable;

    private static ProblemDetails Unavailable() =>
        Retryable(Problem(503, ErrorCodes.DatabaseUnavailable, "The service is temporarily unavailable; try again shortly."), retryAfterSeconds: 2);

    internal static ProblemDetails Problem(int status, string code, string detail) => new()
    {
        Status = status,
        Detail = detail,
        Extensions = { ["code"] = code },
    };

    private static ProblemDetails Retryable(ProblemDetails problem, int? retryAfterSeconds = null)
    {
        problem.Extensions["retryable"] = true;
        if (retryAfterSeconds is { } seconds)
        {
            problem.Extensions["retryAfter"] = seconds;
        }

        return problem;
    }

    private static ProblemDetails WithExtensions(ProblemDetails problem, IDictionary<string, object?> extensions)
    {
        foreach (var (key, value) in extensions)
        {
            problem.Extensions[key] = value;
        }

        return problem;
    }

    private static ProblemDetails Validation(ValidationException e)
    {
        var problem = Problem(400, ErrorCodes.ValidationFailed, "One or more fields are invalid.");
        problem.Extensions["errors"] = e.Errors
            .GroupBy(f => FieldName(f.PropertyName))
            .ToDictionary(g => g.Key, g => g.Select(f => f.ErrorMessage).Distinct().ToArray());
        return problem;
    }

    private static ProblemDetails BadRequest(BadHttpRequestException e)
    {
        switch (e.StatusCode)
        {
            case StatusCodes.Status413PayloadTooLarge:
                return Problem(413, ErrorCodes.PayloadTooLarge, "The request body is larger than this endpoint accepts.");
            case StatusCodes.Status415UnsupportedMediaType:
                return Problem(415, ErrorCodes.UnsupportedMediaType, "Send the body as application/json.");
        }

        if (e.InnerException is JsonException json)
        {
            var problem = Problem(400, ErrorCodes.MalformedRequest, "The request body is not valid JSON of the expected shape.");
            if (JsonErrors(json) is { Count: > 0 } errors)
            {
                problem.Extensions["errors"] = errors;
            }

            return problem;
        }

        // Route, query and header binding failures name the parameter, which is part of the public API.
        var parameter = ParameterName().Match(e.Message);
        return parameter.Success
            ? WithExtensions(Problem(400, ErrorCodes.MalformedRequest, "A parameter has a value of the wrong type."),
                new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [parameter.Groups["name"].Value] = ["The value is not valid."] } })
            : e.Message.Contains("body was provided", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("Unexpected end", StringComparison.OrdinalIgnoreCase)
                ? Problem(400, ErrorCodes.MalformedRequest, "The request body is missing or empty.")
                : Problem(400, ErrorCodes.MalformedRequest, "The request could not be read.");
    }

    private static Dictionary<string, string[]> JsonErrors(JsonException json)
    {
        var errors = new Dictionary<string, string[]>();
        var missing = MissingProperties().Match(json.Message);
        if (missing.Success)
        {
            foreach (var name in QuotedName().Matches(missing.Groups["names"].Value).Select(m => m.Groups[1].Value))
            {
                errors[name] = ["This field is required."];
            }

            return errors;
        }

        var unknown = UnknownProperty().Match(json.Message);
        if (unknown.Success)
        {
            errors[unknown.Groups["name"].Value] = ["This field is not part of the request."];
            return errors;
        }

        if (json.Path is { Length: > 2 } path)
        {
            errors[path[2..]] = [json.Message.Contains("null", StringComparison.Ordinal) && json.Message.Contains("non-nullable", StringComparison.OrdinalIgnoreCase)
                ? "This field must not be null."
                : "The value is not valid for this field."];
        }

        return errors;
    }

    private static string FieldName(string propertyName) =>
        string.Join('.', propertyName.Split('.').Select(part => part.Length > 0 ? char.ToLowerInvariant(part[0]) + part[1..] : part));

    [GeneratedRegex("missing required properties including: (?<names>.+)$")]
    private static partial Regex MissingProperties();

    [GeneratedRegex("'([^']+)'")]
    private static partial Regex QuotedName();

    [GeneratedRegex("The JSON property '(?<name>[^']+)' could not be mapped")]
    private static partial Regex UnknownProperty();

    [GeneratedRegex("parameter \"\\w+ (?<name>\\w+)\" from \"")]
    private static partial Regex ParameterName();
}

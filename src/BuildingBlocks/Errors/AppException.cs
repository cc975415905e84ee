namespace Commerce.BuildingBlocks.Errors;

/// <summary>
/// A failure the client can act on: mapped by the Host to problem details with <see cref="Status"/>
/// and the stable machine-readable <see cref="Code"/>. Throwing it rolls the command's transaction back.
/// </summary>
public class AppException(int status, string code, string detail) : Exception(detail)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    /// <summary>Extra members of the problem details, e.g. the id of the coupon that was not usable.</summary>
    public IDictionary<string, object?> Extensions { get; } = new Dictionary<string, object?>();

    public AppException With(string key, object? value)
    {
        Extensions[key] = value;
        return this;
    }

    public static AppException NotFound(string code, string detail) => new(404, code, detail);

    public static AppException Conflict(string code, string detail) => new(409, code, detail);

    public static AppException Unprocessable(string code, string detail) => new(422, code, detail);

    public static AppException Forbidden(string code, string detail) => new(403, code, detail);

    public static AppException Unauthorized(string code, string detail) => new(401, code, detail);

    /// <summary>429; the Host sends <paramref name="retryAfter"/> (whole seconds, rounded up) as the Retry-After header.</summary>
    public static AppException TooManyRequests(string code, string detail, TimeSpan retryAfter) =>
        new AppException(429, code, detail).With("retryAfter", RetryAfterSeconds(retryAfter));

    public static long RetryAfterSeconds(TimeSpan wait) => Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));
}

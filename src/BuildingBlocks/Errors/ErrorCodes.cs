namespace Commerce.BuildingBlocks.Errors;

/// <summary>Codes shared by every module; module-specific codes live next to the feature that raises them.</summary>
public static class ErrorCodes
{
    public const string ValidationFailed = "VALIDATION_FAILED";
    public const string MalformedRequest = "MALFORMED_REQUEST";
    public const string NotAMember = "NOT_A_MEMBER";
    public const string Unauthenticated = "UNAUTHENTICATED";
    public const string Forbidden = "FORBIDDEN";
    public const string NotFound = "NOT_FOUND";
    public const string LockTimeout = "LOCK_TIMEOUT";
    public const string Busy = "BUSY";
    public const string DatabaseUnavailable = "DATABASE_UNAVAILABLE";
    public const string IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED";
    public const string RateLimited = "RATE_LIMITED";
    public const string Overloaded = "OVERLOADED";
    public const string MethodNotAllowed = "METHOD_NOT_ALLOWED";
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";
    public const string UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE";
    public const string Internal = "INTERNAL_ERROR";
}

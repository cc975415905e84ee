namespace Commerce.Modules.Members;

internal static class MemberStatus
{
    public const string Active = "ACTIVE";
    public const string Disabled = "DISABLED";
}

internal static class MemberErrors
{
    public const string EmailTaken = "EMAIL_TAKEN";
    public const string InvalidCredentials = "INVALID_CREDENTIALS";
    public const string MemberNotFound = "MEMBER_NOT_FOUND";
    public const string LoginLocked = "LOGIN_LOCKED";
    public const string InvalidRefreshToken = "INVALID_REFRESH_TOKEN";
}

/// <summary>A member as the API shows it; never carries the password hash.</summary>
public sealed record MemberResponse(long Id, string Name, string Email, string Role, string Status, DateTimeOffset CreatedAt);

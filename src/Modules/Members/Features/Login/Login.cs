using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using FluentValidation;
using MediatR;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Members.Features.Login;

/// <summary>Email and password for the member's id and role. <paramref name="Client"/> is the caller's address
/// (the endpoint passes it): failed attempts lock an email for that address only. Multi-step: the attempt must be
/// committed before the password is checked, since a refused login still counts; each step is one statement that
/// commits on its own, and the session's connection goes back to the pool while the password is hashed.</summary>
public sealed record Login(string Email, string Password, string? Client = null) : IMultiStepCommand<LoginResult>;

public sealed record LoginResult(long MemberId, string Role);

internal sealed class LoginValidator : AbstractValidator<Login>
{
    public LoginValidator()
    {
        RuleFor(c => c.Email).NotEmpty().MaximumLength(254);
        RuleFor(c => c.Password).NotEmpty().MaximumLength(PasswordRules.MaxLength);
        RuleFor(c => c.Client).MaximumLength(100);
    }
}

internal sealed class LoginHandler(DbSession session, IOptions<LoginLockoutOptions> lockout, TimeProvider clock)
    : IRequestHandler<Login, LoginResult>
{
    // Hashing a password nobody has: an unknown email costs as much time as a wrong password, so response
    // times do not tell which addresses have accounts.
    private static readonly Lazy<string> DecoyHash = new(() => MemberPasswordHasher.Hash("decoy-password-0"));

    // Every attempt counts until the right password ends the count, so parallel guesses cannot all slip in before
    // the lock: the row lock of this upsert lines them up and exactly MaxFailures of them are checked. A running
    // count (no lock has ended it, first attempt inside the window) goes up; otherwise a new count starts. While
    // locked nothing changes, so attempts during a lock never make it longer.
    private const string CountAttemptSql = """
        INSERT INTO members.login_attempts AS a (email, client, failures, counting_since)
        VALUES (@Email, @Client, 1, @Now)
        ON CONFLICT (email, client) DO UPDATE SET
            failures       = CASE WHEN a.locked_until IS NULL AND a.counting_since > @CountFrom THEN a.failures + 1 ELSE 1 END,
            counting_since = CASE WHEN a.locked_until IS NULL AND a.counting_since > @CountFrom THEN a.counting_since ELSE @Now END,
            locked_until   = CASE WHEN a.locked_until IS NULL AND a.counting_since > @CountFrom AND a.failures + 1 >= @MaxFailures
                                  THEN @LockedUntil END
        WHERE a.locked_until IS NULL OR a.locked_until <= @Now
        RETURNING failures
        """;

    private const string LockedUntilSql = "SELECT locked_until FROM members.login_attempts WHERE email = @Email AND client = @Client";

    private const string FindSql = """
        SELECT id, password_hash, role, status FROM members.members WHERE lower(email) = lower(@Email)
        """;

    private const string EndCountSql = "DELETE FROM members.login_attempts WHERE email = @Email AND client = @Client";

    public async Task<LoginResult> Handle(Login command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var settings = lockout.Value;
        var key = new { Email = command.Email.Trim().ToLowerInvariant(), Client = command.Client ?? "" };

        // 1. Count the attempt, committed at once: a refused login must still count. A locked email (known or not)
        //    is refused without a check.
        await session.OpenAsync(ct);
        var counted = await session.Connection.QuerySingleOrDefaultAsync<int?>(session.Command(CountAttemptSql, new
        {
            key.Email,
            key.Client,
            Now = now,
            CountFrom = now - settings.FailureWindow,
            settings.MaxFailures,
            LockedUntil = now + settings.Duration,
        }, ct));
        if (counted is null)
        {
            var lockedUntil = await session.Connection.QuerySingleOrDefaultAsync<DateTimeOffset?>(session.Command(LockedUntilSql, key, ct));
            throw AppException.TooManyRequests(MemberErrors.LoginLocked, "Too many failed logins for this email; try again later.",
                lockedUntil is { } until && until > now ? until - now : TimeSpan.FromSeconds(1));
        }

        // 2. The account; then the connection goes back to the pool for the hashing.
        var member = await session.Connection.QuerySingleOrDefaultAsync<Account>(session.Command(FindSql, key, ct));
        await session.CloseAsync();

        // 3. The password, checked against a decoy hash when the email has no account.
        if (!MemberPasswordHasher.Verify(member?.PasswordHash ?? DecoyHash.Value, command.Password) || member is null)
        {
            throw AppException.Unauthorized(MemberErrors.InvalidCredentials, "The email or password is wrong.");
        }

        // 4. The right password ends the count.
        await session.OpenAsync(ct);
        await session.Connection.ExecuteAsync(session.Command(EndCountSql, key, ct));

        return member.Status == MemberStatus.Active
            ? new LoginResult(member.Id, member.Role)
            : throw AppException.Forbidden(ErrorCodes.NotAMember, "This account is disabled.");
    }

    private sealed record Account(long Id, string PasswordHash, string Role, string Status);
}

using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Members.Features.Login;

public sealed record Login(string Email, string Password) : ICommand<LoginResult>;

public sealed record LoginResult(long MemberId, string Role);

internal sealed class LoginValidator : AbstractValidator<Login>
{
    public LoginValidator()
    {
        RuleFor(c => c.Email).NotEmpty().MaximumLength(254);
        RuleFor(c => c.Password).NotEmpty().MaximumLength(PasswordRules.MaxLength);
    }
}

internal sealed class LoginHandler(DbSession session) : IRequestHandler<Login, LoginResult>
{
    // Hashing a password nobody has: an unknown email costs as much time as a wrong password, so response
    // times do not tell which addresses have accounts.
    private static readonly Lazy<string> DecoyHash = new(() => MemberPasswordHasher.Hash("decoy-password-0"));

    private const string FindSql = """
        SELECT id, password_hash, role, status FROM members.members WHERE lower(email) = lower(@Email)
        """;

    public async Task<LoginResult> Handle(Login command, CancellationToken ct)
    {
        var member = await session.Connection.QuerySingleOrDefaultAsync<Account>(session.Command(FindSql, new { Email = command.Email.Trim() }, ct));
        if (!MemberPasswordHasher.Verify(member?.PasswordHash ?? DecoyHash.Value, command.Password) || member is null)
        {
            throw AppException.Unauthorized(MemberErrors.InvalidCredentials, "The email or password is wrong.");
        }

        return member.Status == MemberStatus.Active
            ? new LoginResult(member.Id, member.Role)
            : throw AppException.Forbidden(ErrorCodes.NotAMember, "This account is disabled.");
    }

    private sealed record Account(long Id, string PasswordHash, string Role, string Status);
}

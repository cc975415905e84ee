using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Commerce.BuildingBlocks.Security;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Members.Features.SignUp;

public sealed record SignUp(string Name, string Email, string Password) : ICommand<MemberResponse>;

internal sealed class SignUpValidator : AbstractValidator<SignUp>
{
    public SignUpValidator()
    {
        RuleFor(c => c.Name).NotEmpty().MaximumLength(100);
        RuleFor(c => c.Email).NotEmpty().MaximumLength(254).EmailAddress();
        RuleFor(c => c.Password).StrongPassword()
            .Must((c, password) => !string.Equals(password, c.Email, StringComparison.OrdinalIgnoreCase))
            .WithMessage("The password must not be the email address.");
    }
}

internal sealed class SignUpHandler(DbSession session, TimeProvider clock) : IRequestHandler<SignUp, MemberResponse>
{
    // The unique index on lower(email) decides between two sign-ups racing for one address.
    private const string InsertSql = """
        INSERT INTO members.members (email, name, password_hash, role, status, created_at, updated_at)
        VALUES (@Email, @Name, @PasswordHash, @Role, @Status, @Now, @Now)
        ON CONFLICT ((lower(email))) DO NOTHING
        RETURNING id, name, email, role, status, created_at
        """;

    public async Task<MemberResponse> Handle(SignUp command, CancellationToken ct)
    {
        var member = await session.Connection.QuerySingleOrDefaultAsync<MemberResponse>(session.Command(InsertSql, new
        {
            Email = command.Email.Trim(),
            Name = command.Name.Trim(),
            PasswordHash = MemberPasswordHasher.Hash(command.Password),
            Role = Roles.Member,
            Status = MemberStatus.Active,
            Now = clock.GetUtcNow(),
        }, ct));

        return member ?? throw AppException.Conflict(MemberErrors.EmailTaken, "An account with this email already exists.");
    }
}

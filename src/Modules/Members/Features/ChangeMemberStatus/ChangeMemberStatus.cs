using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Commerce.Modules.Members.Auth;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Members.Features.ChangeMemberStatus;

/// <summary>An admin disables (or re-enables) an account; a disabled member's tokens stop working at once.</summary>
public sealed record ChangeMemberStatus(long AdminId, long MemberId, string Status) : ICommand<MemberResponse>;

internal sealed class ChangeMemberStatusValidator : AbstractValidator<ChangeMemberStatus>
{
    public ChangeMemberStatusValidator()
    {
        RuleFor(c => c.MemberId).GreaterThan(0);
        RuleFor(c => c.Status).Must(s => s is MemberStatus.Active or MemberStatus.Disabled)
            .WithMessage($"The status must be {MemberStatus.Active} or {MemberStatus.Disabled}.");
        RuleFor(c => c.MemberId).NotEqual(c => c.AdminId).WithMessage("Admins cannot change their own status.");
    }
}

internal sealed class ChangeMemberStatusHandler(DbSession session, MemberStatusCache statusCache, TimeProvider clock)
    : IRequestHandler<ChangeMemberStatus, MemberResponse>
{
    private const string UpdateSql = """
        UPDATE members.members SET status = @Status, updated_at = @Now
        WHERE id = @MemberId
        RETURNING id, name, email, role, status, created_at
        """;

    public async Task<MemberResponse> Handle(ChangeMemberStatus command, CancellationToken ct)
    {
        var member = await session.Connection.QuerySingleOrDefaultAsync<MemberResponse>(session.Command(UpdateSql,
                         new { command.MemberId, command.Status, Now = clock.GetUtcNow() }, ct))
                     ?? throw AppException.NotFound(MemberErrors.MemberNotFound, $"Member {command.MemberId} does not exist.");
        // The member check on this instance sees the change at once, without waiting for the notification the trigger sends
        // to every instance (migration 0004).
        session.AfterCommit(() => statusCache.Forget(command.MemberId));
        return member;
    }
}

using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using MediatR;

namespace Commerce.Modules.Members.Features.GetMe;

public sealed record GetMe(long MemberId) : IQuery<MemberResponse>;

internal sealed class GetMeHandler(DbSession session) : IRequestHandler<GetMe, MemberResponse>
{
    private const string Sql = "SELECT id, name, email, role, status, created_at FROM members.members WHERE id = @MemberId";

    public async Task<MemberResponse> Handle(GetMe query, CancellationToken ct) =>
        await session.Connection.QuerySingleOrDefaultAsync<MemberResponse>(session.Command(Sql, query, ct))
        ?? throw AppException.NotFound(MemberErrors.MemberNotFound, "The member does not exist.");
}

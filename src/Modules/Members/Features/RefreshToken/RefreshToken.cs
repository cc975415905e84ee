using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using MediatR;

namespace Commerce.Modules.Members.Features.RefreshToken;

/// <summary>
/// Exchanges generation <paramref name="Generation"/> of a login session's refresh token, already decrypted and checked
/// for expiry by the endpoint, for the next generation. Null when the token was already exchanged (or its session
/// revoked): the session is then revoked, in this command's committed transaction, so whoever holds a copy of any of
/// its tokens can no longer refresh.
/// </summary>
public sealed record RefreshToken(long MemberId, Guid SessionId, int Generation, DateTimeOffset ExpiresAt) : ICommand<RefreshedSession?>;

public sealed record RefreshedSession(long MemberId, string Role, Guid SessionId, int Generation);

internal sealed class RefreshTokenHandler(DbSession session, TimeProvider clock) : IRequestHandler<RefreshToken, RefreshedSession?>
{
    private const string AccountSql = "SELECT role, status FROM members.members WHERE id = @MemberId";

    // The first refresh of a session inserts its row; later ones move the generation on. Only the newest generation
    // matches, and the row lock of the upsert lines up two concurrent exchanges of one token: exactly one wins.
    private const string RotateSql = """
        INSERT INTO members.refresh_sessions AS s (session_id, member_id, generation, expires_at)
        VALUES (@SessionId, @MemberId, @Generation + 1, @ExpiresAt)
        ON CONFLICT (session_id) DO UPDATE SET generation = s.generation + 1, expires_at = EXCLUDED.expires_at
        WHERE s.generation = @Generation AND s.member_id = @MemberId AND s.revoked_at IS NULL
        RETURNING generation
        """;

    private const string RevokeSql = """
        UPDATE members.refresh_sessions SET revoked_at = coalesce(revoked_at, @Now)
        WHERE session_id = @SessionId AND member_id = @MemberId
        """;

    public async Task<RefreshedSession?> Handle(RefreshToken command, CancellationToken ct)
    {
        // 1. The account, as it is now: a disabled member is refused, and the new tokens carry the current role.
        var account = await session.Connection.QuerySingleOrDefaultAsync<Account>(session.Command(AccountSql, new { command.MemberId }, ct));
        if (account is not { Status: MemberStatus.Active })
        {
            throw AppException.Forbidden(ErrorCodes.NotAMember, "This account is disabled.");
        }

        // 2. Rotate: this generation is used up, the next one is the only valid refresh token of the session.
        var next = await session.Connection.QuerySingleOrDefaultAsync<int?>(session.Command(RotateSql, command, ct));
        if (next is { } generation)
        {
            return new RefreshedSession(command.MemberId, account.Role, command.SessionId, generation);
        }

        // 3. A used (or revoked) token came back: someone holds a copy. Revoke the session for everyone.
        await session.Connection.ExecuteAsync(session.Command(RevokeSql, new { command.SessionId, command.MemberId, Now = clock.GetUtcNow() }, ct));
        return null;
    }

    private sealed record Account(string Role, string Status);
}

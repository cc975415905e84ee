using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using MediatR;
using Npgsql;

namespace Commerce.BuildingBlocks.Idempotency;

/// <summary>
/// Runs inside the transaction, before the handler. The key row is inserted first: a concurrent request
/// with the same key blocks on the unique index until this transaction ends, then finds the committed
/// response and replays it. The response is stored in the same transaction as the effects, so a
/// failed command leaves no key behind and may be retried with the same key.
/// </summary>
internal sealed class IdempotencyBehavior<TRequest, TResponse>(DbSession session, TimeProvider clock)
    : IPipelineBehavior<TRequest, TResponse>
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private const string ClaimSql = """
        INSERT INTO platform.idempotency_keys (member_id, key, request_type, request_hash, created_at)
        VALUES (@MemberId, @Key, @RequestType, @RequestHash, @Now)
        ON CONFLICT (member_id, key) DO NOTHING
        """;

    private const string StoredSql = """
        SELECT request_type, request_hash, response::text AS response
        FROM platform.idempotency_keys
        WHERE member_id = @MemberId AND key = @Key
        """;

    private const string SaveSql = """
        UPDATE platform.idempotency_keys SET response = @Response::jsonb
        WHERE member_id = @MemberId AND key = @Key
        """;

    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        if (request is not IIdempotentCommand { IdempotencyKey: { } key } command || request is not ICommandMarker)
        {
            return await next();
        }

        var requestType = typeof(TRequest).Name;
        var requestHash = Hash(request);
        var claimed = await session.Connection.ExecuteAsync(session.Command(ClaimSql,
            new { command.MemberId, Key = key, RequestType = requestType, RequestHash = requestHash, Now = clock.GetUtcNow() }, cancellationToken));

        if (claimed == 0)
        {
            var stored = await session.Connection.QuerySingleAsync<StoredResponse>(session.Command(StoredSql, new { command.MemberId, Key = key }, cancellationToken));
            if (stored.RequestType != requestType || !stored.RequestHash.AsSpan().SequenceEqual(requestHash))
            {
                throw AppException.Unprocessable(ErrorCodes.IdempotencyKeyReused,
                    "This Idempotency-Key was already used with a different request.");
            }

            Telemetry.CommerceTelemetry.RecordIdempotentReplay(requestType);
            return JsonSerializer.Deserialize<TResponse>(stored.Response!, Json)!;
        }

        var response = await next();
        // Goes with the COMMIT: stored if and only if the effects commit.
        session.BeforeCommit(new NpgsqlBatchCommand(SaveSql)
        {
            Parameters =
            {
                new NpgsqlParameter("Response", JsonSerializer.Serialize(response, Json)),
                new NpgsqlParameter("MemberId", command.MemberId),
                new NpgsqlParameter("Key", key),
            },
        });
        return response;
    }

    private static byte[] Hash(TRequest request)
    {
        var node = JsonSerializer.SerializeToNode(request, Json)!.AsObject();
        node.Remove(JsonNamingPolicy.CamelCase.ConvertName(nameof(IIdempotentCommand.IdempotencyKey)));
        return SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(node, Json));
    }

    private sealed record StoredResponse(string RequestType, byte[] RequestHash, string? Response);
}

using System.Text.Json;
using Npgsql;

namespace Commerce.BuildingBlocks.Errors;

/// <summary>
/// A business rule checked by a statement whose outcome nobody reads before the COMMIT (one sent with it,
/// <see cref="Data.DbSession.BeforeCommit"/>) refuses by raising an error, so the server skips the rest of the batch,
/// COMMIT included. The error carries the 409 (or 422) problem the code would have thrown. In PL/pgSQL:
/// <c>RAISE EXCEPTION USING ERRCODE = 'CM409', MESSAGE = code, HINT = json_build_object('detail', text, extension, value, …)::text</c>
/// (HINT, not DETAIL: Npgsql redacts DETAIL unless the connection string asks for error details). The pipeline
/// (TransactionBehavior) rolls the transaction back and throws the <see cref="AppException"/> it describes instead.
/// </summary>
public static class DatabaseRefusal
{
    public const string ConflictSqlState = "CM409";

    /// <summary>The same for a 422: a request the rules refuse whatever else happens (a coupon that cannot be used).</summary>
    public const string UnprocessableSqlState = "CM422";

    /// <summary>
    /// Not a refusal: a statement sent with the COMMIT found that what the command read before taking its locks has
    /// changed since (a product's price between the unlocked read and the lock), so its outcome would rest on stale
    /// input. Like a deadlock, nothing of it committed and the pipeline retries the whole command, which reads again.
    /// </summary>
    public const string StaleReadSqlState = "CMSTL";

    /// <summary>The 409 or 422 the error describes, its extensions in the order of the JSON object; null for any other exception.</summary>
    internal static AppException? From(Exception exception)
    {
        if (exception is not PostgresException { SqlState: ConflictSqlState or UnprocessableSqlState, Hint: { Length: > 0 } hint } refusal)
        {
            return null;
        }

        using var problem = JsonDocument.Parse(hint);
        var detail = problem.RootElement.GetProperty("detail").GetString()!;
        var refused = refusal.SqlState == ConflictSqlState
            ? AppException.Conflict(refusal.MessageText, detail)
            : AppException.Unprocessable(refusal.MessageText, detail);
        foreach (var member in problem.RootElement.EnumerateObject().Where(m => m.Name != "detail"))
        {
            refused.With(member.Name, Value(member.Value));
        }

        return refused;
    }

    // As the code would have added them: whole numbers as long, text as string.
    private static object? Value(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetInt64(out var whole) => whole,
        JsonValueKind.Number => value.GetDecimal(),
        JsonValueKind.String => value.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null => null,
        _ => value.Clone(),
    };
}

using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Commerce.Host.Tests.Security;

/// <summary>What an error response must be (RFC 9457 problem details with status, title and a stable code) and what no
/// response body may carry: SQL, stack traces, exception type names, internal namespaces, connection details, file paths.</summary>
internal static partial class ProblemChecks
{
    private static readonly (string Name, Regex Pattern)[] Leaks =
    [
        ("a stack trace", StackTrace()),
        ("an exception type name", ExceptionType()),
        ("an internal namespace", InternalNamespace()),
        ("SQL", Sql()),
        ("a schema-qualified table", SchemaTable()),
        ("a database error", DatabaseError()),
        ("connection details", ConnectionDetails()),
        ("a file path", FilePath()),
    ];

    /// <summary>Everything wrong with an error response; empty when it is proper problem details and leaks nothing.</summary>
    public static IEnumerable<string> ErrorViolations(int status, string? contentType, string body, IReadOnlyList<string> injected)
    {
        if (contentType != "application/problem+json")
        {
            yield return $"content type {contentType ?? "(none)"}, not application/problem+json";
        }

        JsonObject? problem;
        try
        {
            problem = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            problem = null;
        }

        if (problem is null)
        {
            yield return "a body that is not a JSON object";
            yield break;
        }

        if (problem["status"] is not JsonValue statusValue || !statusValue.TryGetValue<int>(out var bodyStatus) || bodyStatus != status)
        {
            yield return $"status member {problem["status"]?.ToJsonString() ?? "missing"} for a {status} response";
        }

        if (problem["title"] is not JsonValue title || !title.TryGetValue<string>(out var titleText) || string.IsNullOrWhiteSpace(titleText))
        {
            yield return "no title";
        }

        if (problem["code"] is not JsonValue code || !code.TryGetValue<string>(out var codeText) || !StableCode().IsMatch(codeText))
        {
            yield return $"code {problem["code"]?.ToJsonString() ?? "missing"} (needs UPPER_SNAKE_CASE)";
        }

        foreach (var leak in LeaksIn(body, injected))
        {
            yield return $"a body carrying {leak}";
        }
    }

    /// <summary>The kinds of internal detail <paramref name="body"/> carries, after taking out what the client itself sent.</summary>
    public static IEnumerable<string> LeaksIn(string body, IReadOnlyList<string> injected)
    {
        var text = injected
            .Where(i => i.Length > 0)
            .SelectMany(i => new[] { i, JsonSerializer.Serialize(i)[1..^1] })
            .OrderByDescending(i => i.Length)
            .Aggregate(body, (current, sent) => current.Replace(sent, "", StringComparison.Ordinal));
        return Leaks.Where(l => l.Pattern.IsMatch(text)).Select(l => l.Name);
    }

    [GeneratedRegex("^[A-Z][A-Z0-9_]*$")]
    private static partial Regex StableCode();

    [GeneratedRegex(@"(\bat [\w.<>`+]+\(|\.cs:line \d+|--- End of (inner exception )?stack trace)")]
    private static partial Regex StackTrace();

    [GeneratedRegex(@"\b\w*Exception\b")]
    private static partial Regex ExceptionType();

    [GeneratedRegex(@"\b(Commerce|Microsoft|System|Npgsql|Dapper|MediatR|FluentValidation|Serilog)\.[A-Z]\w*")]
    private static partial Regex InternalNamespace();

    [GeneratedRegex(@"\b(SELECT\s+[\w*(]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|RETURNING\s+\w|FOR\s+UPDATE|ON\s+CONFLICT|WHERE\s+\w+\s*=)", RegexOptions.IgnoreCase)]
    private static partial Regex Sql();

    [GeneratedRegex(@"\b(members|orders|coupons|catalog|points|platform)\.[a-z_]+\b")]
    private static partial Regex SchemaTable();

    [GeneratedRegex(@"(SQLSTATE|syntax error at|violates|duplicate key|relation ""|column ""|invalid input syntax|PostgreSQL|Postgres)", RegexOptions.IgnoreCase)]
    private static partial Regex DatabaseError();

    [GeneratedRegex(@"(Host=|Username=|User ID=|Password=|Server=|Port=\d|Database=|postgres(ql)?://|\.s\.PGSQL|Connection ?string|127\.0\.0\.1:\d+|localhost:\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex ConnectionDetails();

    [GeneratedRegex(@"(/home/|/work/|/usr/|/tmp/|/var/|[A-Z]:\\)")]
    private static partial Regex FilePath();
}

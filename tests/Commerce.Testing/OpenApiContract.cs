using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace Commerce.Testing;

/// <summary>
/// The OpenAPI document as a contract: finds the operation a request was for (method and path template, as a
/// validating proxy would), and checks the answer against what the document says that operation answers with that
/// status — the status must be documented, the media type must be one the document names, and a JSON body must match
/// its schema (JsonSchema.Net, JSON Schema 2020-12, which OpenAPI 3.1 schemas are).
/// </summary>
public sealed class OpenApiContract
{
    private const string ComponentsPointer = "#/components/schemas/";

    private readonly List<Operation> _operations;
    private readonly JsonObject _definitions;
    private readonly ConcurrentDictionary<(string Operation, string Status, string MediaType), JsonSchema> _schemas = new();

    private sealed record Operation(string Method, string Template, Regex Path, int Literals, JsonObject Responses, JsonObject Components);

    public OpenApiContract(string documentJson)
    {
        // Component references become references into the $defs every built schema carries.
        var document = JsonNode.Parse(documentJson.Replace($"\"{ComponentsPointer}", "\"#/$defs/", StringComparison.Ordinal))!.AsObject();
        _definitions = document["components"]?["schemas"]?.AsObject() ?? [];
        var components = document["components"]?.AsObject() ?? [];
        _operations = [];
        foreach (var (template, path) in document["paths"]!.AsObject())
        {
            var segments = template.Split('/');
            var pattern = "^" + string.Join("/", segments.Select(s => s.StartsWith('{') ? "[^/]+" : Regex.Escape(s))) + "$";
            foreach (var (method, operation) in path!.AsObject())
            {
                _operations.Add(new Operation(method.ToUpperInvariant(), template, new Regex(pattern, RegexOptions.CultureInvariant),
                    segments.Count(s => !s.StartsWith('{')), operation!["responses"]!.AsObject(), components));
            }
        }
    }

    /// <summary>"GET /api/orders/{orderId}" for a request the document has an operation for, else null (an unknown route, a wrong method).</summary>
    public string? OperationFor(string method, string path) => Find(method, path) is { } operation ? $"{operation.Method} {operation.Template}" : null;

    /// <summary>What is wrong with this answer, or nothing. A request no operation matches is not checked (see <see cref="OperationFor"/>).</summary>
    public IReadOnlyList<string> Check(string method, string path, int status, string? contentType, ReadOnlySpan<byte> body)
    {
        var operation = Find(method, path);
        if (operation is null)
        {
            return [];
        }

        var name = $"{operation.Method} {operation.Template}";
        if (Resolve(operation, status) is not { } response)
        {
            return [$"{name} answered {status}, which the document does not list for it: {Excerpt(body)}"];
        }

        var content = response["content"]?.AsObject();
        if (body.Length == 0)
        {
            return content is { Count: > 0 } && status != 304 ? [$"{name} {status}: an empty body where the document promises {string.Join(", ", content.Select(c => c.Key))}"] : [];
        }

        var mediaType = contentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (content is null || mediaType is null || !content.ContainsKey(mediaType))
        {
            return [$"{name} {status}: a body of type '{contentType}' where the document says {(content is null ? "no body" : string.Join(", ", content.Select(c => c.Key)))}"];
        }

        if (content[mediaType]?["schema"] is not JsonObject)
        {
            return [];
        }

        JsonDocument instance;
        try
        {
            instance = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException)
        {
            return [$"{name} {status}: the {mediaType} body is not JSON: {Excerpt(body)}"];
        }

        using (instance)
        {
            var schema = _schemas.GetOrAdd((name, StatusKey(operation, status)!, mediaType), key => Build((JsonObject)content[key.MediaType]!["schema"]!));
            var result = schema.Evaluate(instance.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            if (result.IsValid)
            {
                return [];
            }

            var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Value}"))
                .Distinct()
                .Take(8);
            return [$"{name} {status}: the body does not match the documented schema: {string.Join("; ", errors)}\n    {Excerpt(body)}"];
        }
    }

    private Operation? Find(string method, string path) => _operations
        .Where(o => o.Method == method && o.Path.IsMatch(path))
        .OrderByDescending(o => o.Literals)
        .FirstOrDefault();

    private static string? StatusKey(Operation operation, int status)
    {
        var exact = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var range = $"{status / 100}XX";
        return operation.Responses.ContainsKey(exact) ? exact : operation.Responses.ContainsKey(range) ? range : null;
    }

    private static JsonObject? Resolve(Operation operation, int status)
    {
        if (StatusKey(operation, status) is not { } key)
        {
            return null;
        }

        var response = operation.Responses[key]!.AsObject();
        // A reusable response: #/components/responses/Conflict.
        return response["$ref"]?.GetValue<string>() is { } reference
            ? operation.Components["responses"]![reference.Split('/')[^1]]!.AsObject()
            : response;
    }

    private JsonSchema Build(JsonObject schema)
    {
        var root = (JsonObject)schema.DeepClone();
        root["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        root["$defs"] = _definitions.DeepClone();
        return JsonSchema.FromText(root.ToJsonString(), baseUri: new Uri($"https://commerce.test/contract/{Guid.NewGuid():N}"));
    }

    private static string Excerpt(ReadOnlySpan<byte> body)
    {
        var text = Encoding.UTF8.GetString(body);
        return text.Length <= 600 ? text : text[..600] + "…";
    }
}

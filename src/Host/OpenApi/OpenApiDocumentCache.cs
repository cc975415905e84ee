using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;

namespace Commerce.Host.OpenApi;

/// <summary>
/// The OpenAPI document, generated once per process on first use and then served from memory with an ETag. Generating
/// it costs tens of milliseconds of CPU (hundreds under load); rebuilt per request, an anonymous endpoint that expensive
/// would be a lever for anyone wanting to slow the host down. The endpoints cannot change while the host runs.
/// </summary>
internal sealed class OpenApiDocumentCache(IServiceProvider services)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly Lock _gate = new();
    private Task<Document>? _document;

    internal sealed record Document(byte[] Json, string ETag);

    public Task<Document> GetAsync()
    {
        lock (_gate)
        {
            // A failed build is not kept: the next request tries again.
            if (_document is null || _document.IsFaulted || _document.IsCanceled)
            {
                _document = BuildAsync();
            }

            return _document;
        }
    }

    public async Task WriteAsync(HttpContext context)
    {
        var document = await GetAsync();
        var headers = context.Response.GetTypedHeaders();
        headers.ETag = new EntityTagHeaderValue(document.ETag);
        // Clients may keep it, but ask again each time: a 304 costs nothing.
        headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        var ifNoneMatch = context.Request.GetTypedHeaders().IfNoneMatch;
        if (ifNoneMatch.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(headers.ETag, useStrongComparison: false)))
        {
            context.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.ContentLength = document.Json.Length;
        await context.Response.Body.WriteAsync(document.Json, context.RequestAborted);
    }

    private async Task<Document> BuildAsync()
    {
        var provider = services.GetRequiredKeyedService<IOpenApiDocumentProvider>(OpenApiSetup.DocumentName);
        // Not the request's token: one client going away must not fail the build every other request waits for.
        var generated = await provider.GetOpenApiDocumentAsync(CancellationToken.None);
        using var stream = new MemoryStream();
        await generated.SerializeAsJsonAsync(stream, OpenApiSpecVersion.OpenApi3_1, CancellationToken.None);
        var document = JsonNode.Parse(stream.ToArray())!.AsObject();
        Complete(document);
        var json = JsonSerializer.SerializeToUtf8Bytes(document, Indented);
        return new Document(json, $"\"{Convert.ToHexStringLower(SHA256.HashData(json))[..32]}\"");
    }

    /// <summary>What the object model cannot say, or says only through the transformers' side doors.</summary>
    private static void Complete(JsonObject document)
    {
        ProblemResponses.AddTo(document);
        foreach (var (_, path) in document["paths"]!.AsObject())
        {
            foreach (var (_, operation) in path!.AsObject())
            {
                // Public operations say so explicitly (the serializer drops an empty list).
                if (operation is JsonObject op && !op.ContainsKey("security"))
                {
                    op["security"] = new JsonArray();
                }
            }
        }

        // The framework's generic ProblemDetails schemas, replaced by the families above.
        var schemas = document["components"]!["schemas"]!.AsObject();
        var text = document.ToJsonString();
        foreach (var name in new[] { "ProblemDetails", "HttpValidationProblemDetails" })
        {
            if (schemas.ContainsKey(name) && !text.Contains($"\"#/components/schemas/{name}\"", StringComparison.Ordinal))
            {
                schemas.Remove(name);
            }
        }
    }
}

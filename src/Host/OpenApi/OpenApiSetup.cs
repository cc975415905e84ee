using System.Reflection;
using System.Text.Json.Nodes;
using Commerce.BuildingBlocks.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;

namespace Commerce.Host.OpenApi;

/// <summary>
/// The document at /openapi/v1.json, built once (<see cref="OpenApiDocumentCache"/>): an operationId per operation named
/// after its feature, bearer auth where it is needed and <c>security: []</c> where it is not, every status an operation
/// can answer with its problem-details family, enums for the closed sets of values, and the Idempotency-Key header.
/// </summary>
internal static class OpenApiSetup
{
    public const string DocumentName = "v1";

    private const string BearerScheme = "Bearer";

    private static readonly (string Name, string Description)[] Tags =
    [
        ("Members", "Sign up, log in (an access token and a refresh token), refresh the tokens, and the signed-in member."),
        ("Points", "Prepaid points: charge, balance and the ledger of every change."),
        ("Catalog", "Products, their price, stock and sale status, and the best sellers. Public."),
        ("Coupons", "First-come-first-served coupon campaigns, claiming a coupon, and the member's coupons."),
        ("Orders", "Placing and paying orders (Flow A), one-step checkout with points (Flow B), price quotes, cancelling, refunds, and the member's orders."),
        ("Carts", "Guest carts (their secret id is the only key), the member's own cart, merging a guest cart into it, its quote and checkout (Flow B)."),
        ("Admin", "Products, campaigns, members and the outbox, for accounts with the admin role."),
    ];

    public static IServiceCollection AddCommerceOpenApi(this IServiceCollection services)
    {
        services.AddSingleton<OpenApiDocumentCache>();
        return services.AddOpenApi(DocumentName, options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Commerce",
                    Version = "v1",
                    Description = "Ordering backend: members, prepaid points, first-come-first-served coupons, orders and payment. " +
                                  "Every error is RFC 9457 problem details (`application/problem+json`) with a stable `code` to branch on and the " +
                                  "request's `traceId`. Log in with POST /api/auth/token, then use 'Authorize' with the accessToken; renew it with " +
                                  "POST /api/auth/refresh. Ids in paths are positive integers: a malformed or non-positive id is 400 naming the " +
                                  "parameter, a well-formed id that is not there (or not yours) is 404.",
                    Contact = new OpenApiContact { Name = "Commerce API team", Url = new Uri("https://commerce.example/api") },
                    License = new OpenApiLicense { Name = "Proprietary", Url = new Uri("https://commerce.example/terms") },
                };
                // The document is built once and served to every host name, so its server is the host it came from.
                document.Servers = [new OpenApiServer { Url = "/", Description = "The host serving this document" }];
                document.Tags = new HashSet<OpenApiTag>(Tags.Select(t => new OpenApiTag { Name = t.Name, Description = t.Description }));
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "The accessToken from POST /api/auth/token (or /api/auth/refresh).",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                Describe(operation, context);
                return Task.CompletedTask;
            });
            options.AddSchemaTransformer((schema, context, _) =>
            {
                if (context.JsonPropertyInfo is { } property && ApiVocabulary.ForProperty(property.DeclaringType.Name, property.Name) is { } values)
                {
                    schema.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
                    if (schema.Type?.HasFlag(JsonSchemaType.Null) == true)
                    {
                        // An optional field may be null; the enum must say so too, or null would match the type and fail the enum.
                        schema.Enum.Add(null!);
                    }
                }

                return Task.CompletedTask;
            });
        });
    }

    /// <summary>Serves the document from memory, with an ETag; the Swagger UI reads it from here.</summary>
    public static IEndpointRouteBuilder MapCommerceOpenApi(this IEndpointRouteBuilder app)
    {
        // Only the one document: an unknown name is a plain 404 problem.
        app.MapGet("/openapi/{documentName:regex(^v1$)}.json", (HttpContext context, OpenApiDocumentCache document) => document.WriteAsync(context))
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }

    private static void Describe(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        operation.OperationId ??= OperationId(metadata);
        var needsMember = metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();
        if (needsMember)
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }];
        }

        if (metadata.OfType<IdempotencyKeyMetadata>().Any())
        {
            operation.Parameters ??= [];
            var existing = operation.Parameters.FirstOrDefault(p => p.Name == EndpointConventions.IdempotencyKeyHeader);
            if (existing is not null)
            {
                operation.Parameters.Remove(existing);
            }

            operation.Parameters.Add(new OpenApiParameter
            {
                Name = EndpointConventions.IdempotencyKeyHeader,
                In = ParameterLocation.Header,
                Required = false,
                Description = "Optional, 1-100 visible ASCII characters, scoped to the member. A retry with the same key and body replays the first " +
                              "successful answer instead of acting twice; the same key with a different body is refused with 422. Kept at least 24 hours.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 100 },
            });
        }

        foreach (var parameter in operation.Parameters ?? [])
        {
            if (parameter is OpenApiParameter { In: ParameterLocation.Path, Schema: OpenApiSchema { Type: JsonSchemaType.Integer } id })
            {
                // The bad-id rule (IdRouteValues): a well-formed id is a positive integer.
                id.Minimum = "1";
                parameter.Description ??= "A positive id. Malformed or non-positive: 400 naming this parameter; well formed but not there: 404.";
            }
            else if (parameter is OpenApiParameter { In: ParameterLocation.Query, Name: "status", Schema: OpenApiSchema filter } &&
                     ApiVocabulary.ForStatusFilter(operation.OperationId!) is { } statuses)
            {
                filter.Enum = [.. statuses.Select(v => (JsonNode)JsonValue.Create(v))];
            }
        }

        operation.Responses ??= [];
        foreach (var status in ErrorStatuses(operation, description, metadata, needsMember))
        {
            var family = ProblemResponses.For(status) ?? throw new InvalidOperationException($"No problem family for status {status}.");
            operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponseReference(family.Name, context.Document);
        }
    }

    /// <summary>The feature's name: the endpoint's name when it has one, else its class without "Endpoint" (PlaceOrderEndpoint: PlaceOrder).</summary>
    private static string? OperationId(IList<object> metadata) =>
        metadata.OfType<IEndpointNameMetadata>().FirstOrDefault()?.EndpointName
        ?? metadata.OfType<MethodInfo>().FirstOrDefault()?.DeclaringType?.Name.Replace("Endpoint", "", StringComparison.Ordinal);

    /// <summary>
    /// Every error status the operation can answer: the ones its endpoint declares (its business rules) and the ones that
    /// follow from its shape — input can be malformed (400), a body can be too large or of another type (413, 415), a
    /// member endpoint can be refused (401, 403), an id can be missing (404), a command can wait too long for a lock
    /// (409 LOCK_TIMEOUT), a rate limit can refuse (429), and the database or the instance can be unavailable (503).
    /// </summary>
    private static SortedSet<int> ErrorStatuses(OpenApiOperation operation, Microsoft.AspNetCore.Mvc.ApiExplorer.ApiDescription description,
        IList<object> metadata, bool needsMember)
    {
        var statuses = new SortedSet<int>(operation.Responses!.Keys.Select(int.Parse).Where(s => s >= 400)) { 503 };
        var parameters = description.ParameterDescriptions;
        var hasBody = parameters.Any(p => p.Source == BindingSource.Body);
        if (parameters.Count > 0 || hasBody)
        {
            statuses.Add(400);
        }

        if (hasBody)
        {
            statuses.UnionWith([413, 415]);
        }

        if (needsMember)
        {
            statuses.UnionWith([401, 403]);
        }

        if (parameters.Any(p => p.Source == BindingSource.Path))
        {
            statuses.UnionWith([400, 404]);
        }

        if (!HttpMethods.IsGet(description.HttpMethod ?? "GET"))
        {
            statuses.Add(409);
        }

        if (metadata.OfType<EnableRateLimitingAttribute>().Any())
        {
            statuses.Add(429);
        }

        return statuses;
    }
}

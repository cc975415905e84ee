using Commerce.BuildingBlocks.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;

namespace Commerce.Host.OpenApi;

internal static class OpenApiSetup
{
    private const string BearerScheme = "Bearer";

    /// <summary>The document at /openapi/v1.json: bearer auth on the endpoints that need it and the Idempotency-Key header where it is honoured.</summary>
    public static IServiceCollection AddCommerceOpenApi(this IServiceCollection services) => services.AddOpenApi(options =>
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Commerce",
                Version = "v1",
                Description = "Ordering backend: members, prepaid points, first-come-first-served coupons, orders and payment. " +
                              "Errors are RFC 9457 problem details with a stable 'code'. Log in with POST /api/auth/token, then use 'Authorize'.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The accessToken from POST /api/auth/token.",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
            {
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] });
                operation.Responses ??= [];
                operation.Responses.TryAdd("401", Problem("No token, or an expired or invalid one (UNAUTHENTICATED).", context.Document));
                operation.Responses.TryAdd("403", Problem("The account is disabled (NOT_A_MEMBER) or lacks the role (FORBIDDEN).", context.Document));
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
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, MaxLength = 100 },
                });
            }

            return Task.CompletedTask;
        });
    });

    private static OpenApiResponse Problem(string description, OpenApiDocument? document) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference("ProblemDetails", document) },
        },
    };
}

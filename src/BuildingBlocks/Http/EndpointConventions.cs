using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Commerce.BuildingBlocks.Http;

/// <summary>Marks an endpoint as accepting the <c>Idempotency-Key</c> header (the OpenAPI document shows it).</summary>
public sealed class IdempotencyKeyMetadata
{
    public static readonly IdempotencyKeyMetadata Instance = new();
}

public static class EndpointConventions
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>Documents the problem-details responses an endpoint can return.</summary>
    public static RouteHandlerBuilder ProducesErrors(this RouteHandlerBuilder builder, params int[] statusCodes)
    {
        foreach (var status in statusCodes)
        {
            builder.ProducesProblem(status);
        }

        return builder;
    }

    public static RouteHandlerBuilder WithIdempotencyKey(this RouteHandlerBuilder builder) =>
        builder.WithMetadata(IdempotencyKeyMetadata.Instance)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

}

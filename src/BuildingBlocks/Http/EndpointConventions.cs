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

    /// <summary>Documents the <c>Idempotency-Key</c> header. A command whose response is stored under the key and replayed
    /// (<c>IdempotencyBehavior</c>) refuses the key's reuse for a different request with 422 IDEMPOTENCY_KEY_REUSED; one
    /// whose idempotency rests on its own state (PayOrder: the order's payment) never does, so its document must not list
    /// that answer.</summary>
    public static RouteHandlerBuilder WithIdempotencyKey(this RouteHandlerBuilder builder, bool storesResponse = true)
    {
        builder.WithMetadata(IdempotencyKeyMetadata.Instance);
        return storesResponse ? builder.ProducesProblem(StatusCodes.Status422UnprocessableEntity) : builder;
    }
}

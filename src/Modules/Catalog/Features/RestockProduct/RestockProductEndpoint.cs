using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Catalog.Features.RestockProduct;

internal static class RestockProductEndpoint
{
    public sealed record RestockRequest(int Quantity);

    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/admin/products/{productId}/restock", Handle)
        .RequireAuthorization(Policies.Admin)
        .WithIdempotencyKey()
        .WithTags("Admin")
        .WithSummary("Add stock to a product")
        .WithDescription("Adds 1..1,000,000 units and returns the product with its new stock. The stock may not pass " +
                         "1,000,000,000 (409 STOCK_LIMIT_EXCEEDED). Works on discontinued products too.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden,
            StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);

    private static async Task<Ok<ProductResponse>> Handle(
        long productId,
        RestockRequest body,
        [FromHeader(Name = EndpointConventions.IdempotencyKeyHeader)] string? idempotencyKey,
        ClaimsPrincipal user,
        IMediator mediator,
        CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new RestockProduct(productId, body.Quantity, user.MemberId(), idempotencyKey), ct));
}

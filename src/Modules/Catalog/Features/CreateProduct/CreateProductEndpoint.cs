using System.Security.Claims;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Catalog.Features.CreateProduct;

internal static class CreateProductEndpoint
{
    public sealed record CreateProductRequest(string Name, long Price, string? Description = null, int Stock = 0);

    public static void Map(IEndpointRouteBuilder app) => app
        .MapPost("/api/admin/products", Handle)
        .RequireAuthorization(Policies.Admin)
        .WithIdempotencyKey()
        .WithTags("Admin")
        .WithSummary("Create a product")
        .WithDescription("Name 1..200 characters, description up to 2,000 (optional), price 1..100,000,000 won, " +
                         "initial stock 0..1,000,000 (optional, 0 by default). The product is ON_SALE at once.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden);

    private static async Task<Created<ProductResponse>> Handle(
        CreateProductRequest body,
        [FromHeader(Name = EndpointConventions.IdempotencyKeyHeader)] string? idempotencyKey,
        ClaimsPrincipal user,
        IMediator mediator,
        CancellationToken ct)
    {
        var product = await mediator.Send(new CreateProduct(body.Name, body.Description, body.Price, body.Stock, user.MemberId(), idempotencyKey), ct);
        return TypedResults.Created($"/api/products/{product.Id}", product);
    }
}

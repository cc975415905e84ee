using Commerce.BuildingBlocks.Http;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Catalog.Features.GetPopularProducts;

internal static class GetPopularProductsEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapGet("/api/products/popular", Handle)
        .AllowAnonymous()
        .WithTags("Catalog")
        .WithSummary("Best sellers of the last days")
        .WithDescription("Units in paid orders over the last days=1..30 UTC days, today included (3 by default), " +
                         "most first, at most limit=1..50 products (5 by default). Refunded orders are taken out. " +
                         "Served from a cache of a few seconds per instance.")
        .ProducesErrors(StatusCodes.Status400BadRequest);

    private static async Task<Ok<PopularProducts>> Handle(IMediator mediator, CancellationToken ct, int days = 3, int limit = 5) =>
        TypedResults.Ok(await mediator.Send(new GetPopularProducts(days, limit), ct));
}

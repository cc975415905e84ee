using Commerce.BuildingBlocks.Http;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Catalog.Features.ListProducts;

internal static class ListProductsEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapGet("/api/products", Handle)
        .AllowAnonymous()
        .WithTags("Catalog")
        .WithSummary("Products, newest first")
        .WithDescription("Optional filter status=ON_SALE|DISCONTINUED; page from 1, pageSize 1..100 (20 by default).")
        .ProducesErrors(StatusCodes.Status400BadRequest);

    private static async Task<Ok<PagedList<ProductResponse>>> Handle(IMediator mediator, CancellationToken ct,
        string? status = null, int page = 1, int pageSize = Paging.DefaultPageSize) =>
        TypedResults.Ok(await mediator.Send(new ListProducts(status, page, pageSize), ct));
}

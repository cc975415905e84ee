using Commerce.BuildingBlocks.Http;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Catalog.Features.GetProduct;

internal static class GetProductEndpoint
{
    public static void Map(IEndpointRouteBuilder app) => app
        .MapGet("/api/products/{productId}", Handle)
        .AllowAnonymous()
        .WithTags("Catalog")
        .WithSummary("One product")
        .WithDescription("Its name, description, price in won, stock in units and sale status, whether on sale or discontinued.")
        .ProducesErrors(StatusCodes.Status404NotFound);

    private static async Task<Ok<ProductResponse>> Handle(long productId, IMediator mediator, CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new GetProduct(productId), ct));
}

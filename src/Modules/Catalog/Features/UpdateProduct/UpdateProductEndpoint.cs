using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Security;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Modules.Catalog.Features.UpdateProduct;

internal static class UpdateProductEndpoint
{
    /// <summary>Every field optional: absent (or null) leaves it as it is. Send "" to clear the description.</summary>
    public sealed record UpdateProductRequest(string? Name = null, string? Description = null, long? Price = null, string? Status = null);

    public static void Map(IEndpointRouteBuilder app) => app
        .MapPatch("/api/admin/products/{productId}", Handle)
        .RequireAuthorization(Policies.Admin)
        .WithTags("Admin")
        .WithSummary("Change a product's name, description, price or sale status")
        .WithDescription("A partial update: only the fields sent change. Status ON_SALE or DISCONTINUED; a discontinued product " +
                         "cannot be ordered (409 PRODUCT_DISCONTINUED) and can be put back on sale. Stock changes only by restock and orders.")
        .ProducesErrors(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound);

    private static async Task<Ok<ProductResponse>> Handle(long productId, UpdateProductRequest body, IMediator mediator, CancellationToken ct) =>
        TypedResults.Ok(await mediator.Send(new UpdateProduct(productId, body.Name, body.Description, body.Price, body.Status), ct));
}

using Commerce.BuildingBlocks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Modules.Catalog;

public static class CatalogModule
{
    public static IServiceCollection AddCatalogModule(this IServiceCollection services, IConfiguration configuration) =>
        services.AddCommerceModule("catalog", typeof(CatalogModule).Assembly);

    public static IEndpointRouteBuilder MapCatalog(this IEndpointRouteBuilder app) => app;
}

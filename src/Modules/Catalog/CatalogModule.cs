using Commerce.BuildingBlocks;
using Commerce.Modules.Catalog.Contracts;
using Commerce.Modules.Catalog.Features.CreateProduct;
using Commerce.Modules.Catalog.Features.GetPopularProducts;
using Commerce.Modules.Catalog.Features.GetProduct;
using Commerce.Modules.Catalog.Features.ListProducts;
using Commerce.Modules.Catalog.Features.RestockProduct;
using Commerce.Modules.Catalog.Features.UpdateProduct;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Modules.Catalog;

public static class CatalogModule
{
    public static IServiceCollection AddCatalogModule(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CatalogOptions>().Bind(configuration.GetSection(CatalogOptions.Section));
        services.AddScoped<IProductStock, ProductStock>();
        services.AddScoped<IProductReader, ProductReader>();
        services.AddSingleton<PopularProductsCache>();
        return services.AddCommerceModule("catalog", typeof(CatalogModule).Assembly);
    }

    public static IEndpointRouteBuilder MapCatalog(this IEndpointRouteBuilder app)
    {
        ListProductsEndpoint.Map(app);
        GetPopularProductsEndpoint.Map(app);
        GetProductEndpoint.Map(app);
        CreateProductEndpoint.Map(app);
        UpdateProductEndpoint.Map(app);
        RestockProductEndpoint.Map(app);
        return app;
    }
}

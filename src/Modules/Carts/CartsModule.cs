using Commerce.BuildingBlocks;
using Commerce.Modules.Carts.Features.CheckoutCart;
using Commerce.Modules.Carts.Features.CreateCart;
using Commerce.Modules.Carts.Features.ExpireCarts;
using Commerce.Modules.Carts.Features.GetCart;
using Commerce.Modules.Carts.Features.MergeCart;
using Commerce.Modules.Carts.Features.QuoteCart;
using Commerce.Modules.Carts.Features.RemoveCartLine;
using Commerce.Modules.Carts.Features.SetCartLine;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Modules.Carts;

public static class CartsModule
{
    public static IServiceCollection AddCartsModule(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CartsOptions>().Bind(configuration.GetSection(CartsOptions.Section));
        services.AddHostedService<CartExpiryJob>();
        return services.AddCommerceModule("carts", typeof(CartsModule).Assembly);
    }

    public static IEndpointRouteBuilder MapCarts(this IEndpointRouteBuilder app)
    {
        CreateCartEndpoint.Map(app);
        GetCartEndpoint.Map(app);
        SetCartLineEndpoint.Map(app);
        RemoveCartLineEndpoint.Map(app);
        MergeCartEndpoint.Map(app);
        QuoteCartEndpoint.Map(app);
        CheckoutCartEndpoint.Map(app);
        return app;
    }
}

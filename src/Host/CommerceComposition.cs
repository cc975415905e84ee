using Commerce.BuildingBlocks;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Host.Http;
using Commerce.Modules.Carts;
using Commerce.Modules.Catalog;
using Commerce.Modules.Coupons;
using Commerce.Modules.Members;
using Commerce.Modules.Orders;
using Commerce.Modules.Points;

namespace Commerce.Host;

/// <summary>Every module, in migration order. The host and the test fixtures compose the product the same way.</summary>
public static class CommerceComposition
{
    public static IServiceCollection AddCommerce(this IServiceCollection services, IConfiguration configuration) => services
        .AddCommerceBuildingBlocks(configuration)
        .AddMembersModule(configuration)
        .AddPointsModule(configuration)
        .AddCatalogModule(configuration)
        .AddCouponsModule(configuration)
        .AddOrdersModule(configuration)
        .AddCartsModule(configuration);

    public static IEndpointRouteBuilder MapCommerce(this IEndpointRouteBuilder app)
    {
        // One group with no prefix, so every product endpoint follows the one bad-id rule (PositiveIds).
        app.MapGroup("")
            .AddEndpointFilterFactory(PositiveIds.Filter)
            .MapMembers()
            .MapPoints()
            .MapCatalog()
            .MapCoupons()
            .MapOrders()
            .MapCarts()
            .MapOutboxAdmin();
        return app;
    }
}

using Commerce.BuildingBlocks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Modules.Coupons;

public static class CouponsModule
{
    public static IServiceCollection AddCouponsModule(this IServiceCollection services, IConfiguration configuration) =>
        services.AddCommerceModule("coupons", typeof(CouponsModule).Assembly);

    public static IEndpointRouteBuilder MapCoupons(this IEndpointRouteBuilder app) => app;
}

using Commerce.BuildingBlocks;
using Commerce.Modules.Points.Contracts;
using Commerce.Modules.Points.Features.ChargePoints;
using Commerce.Modules.Points.Features.GetBalance;
using Commerce.Modules.Points.Features.GetPointHistory;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Modules.Points;

public static class PointsModule
{
    public static IServiceCollection AddPointsModule(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PointsOptions>().Bind(configuration.GetSection(PointsOptions.Section));
        services.AddScoped<IPointWallet, PointWallet>();
        return services.AddCommerceModule("points", typeof(PointsModule).Assembly);
    }

    public static IEndpointRouteBuilder MapPoints(this IEndpointRouteBuilder app)
    {
        ChargePointsEndpoint.Map(app);
        GetBalanceEndpoint.Map(app);
        GetPointHistoryEndpoint.Map(app);
        return app;
    }
}

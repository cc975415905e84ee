using Commerce.BuildingBlocks;
using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Coupons.Features.ChangeCampaignQuantity;
using Commerce.Modules.Coupons.Features.CreateCampaign;
using Commerce.Modules.Coupons.Features.GetCampaign;
using Commerce.Modules.Coupons.Features.GetMyCoupons;
using Commerce.Modules.Coupons.Features.IssueCoupon;
using Commerce.Modules.Coupons.Features.ListOpenCampaigns;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Modules.Coupons;

public static class CouponsModule
{
    public static IServiceCollection AddCouponsModule(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CouponsOptions>().Bind(configuration.GetSection(CouponsOptions.Section));
        services.AddSingleton<SoldOutCampaigns>();
        services.AddScoped<ICouponRedemption, CouponRedemption>();
        services.AddScoped<ICouponReader, CouponReader>();
        return services.AddCommerceModule("coupons", typeof(CouponsModule).Assembly);
    }

    public static IEndpointRouteBuilder MapCoupons(this IEndpointRouteBuilder app)
    {
        ListOpenCampaignsEndpoint.Map(app);
        GetCampaignEndpoint.Map(app);
        IssueCouponEndpoint.Map(app);
        GetMyCouponsEndpoint.Map(app);
        CreateCampaignEndpoint.Map(app);
        ChangeCampaignQuantityEndpoint.Map(app);
        return app;
    }
}

using Commerce.BuildingBlocks;
using Commerce.BuildingBlocks.Hosting;
using Commerce.Modules.Orders.Features.CancelOrder;
using Commerce.Modules.Orders.Features.Checkout;
using Commerce.Modules.Orders.Features.ExpireOrders;
using Commerce.Modules.Orders.Features.GetOrder;
using Commerce.Modules.Orders.Features.ListMyOrders;
using Commerce.Modules.Orders.Features.PayOrder;
using Commerce.Modules.Orders.Features.PlaceOrder;
using Commerce.Modules.Orders.Features.QuoteOrder;
using Commerce.Modules.Orders.Features.ReconcilePayments;
using Commerce.Modules.Orders.Features.RefundOrder;
using Commerce.Modules.Orders.Features.ReleaseOrder;
using Commerce.Modules.Orders.Payments;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Modules.Orders;

public static class OrdersModule
{
    public static IServiceCollection AddOrdersModule(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OrdersOptions>().Bind(configuration.GetSection(OrdersOptions.Section));
        services.AddOptions<PaymentGatewayOptions>().Bind(configuration.GetSection(PaymentGatewayOptions.Section));

        // A real gateway when its URL is configured, else the simulated one (its records live in this process).
        var gateway = configuration.GetSection(PaymentGatewayOptions.Section).Get<PaymentGatewayOptions>() ?? new();
        if (gateway.Url is { } url)
        {
            services.AddHttpClient<IPaymentGateway, HttpPaymentGateway>(HttpPaymentGateway.ClientName, http =>
            {
                http.BaseAddress = new Uri(url.ToString().TrimEnd('/') + "/");
                http.Timeout = gateway.Timeout;
            });
        }
        else
        {
            services.AddSingleton<SimulatedPaymentGateway>();
            services.AddSingleton<IPaymentGateway>(sp => sp.GetRequiredService<SimulatedPaymentGateway>());
        }

        services.AddHostedService<OrderExpiryJob>();
        services.AddHostedService<PaymentReconciler>();
        services.AddHostedService<ReleaseSweeper>();
        services.AddScoped<RefundEffects>();
        services.AddHostedService<RefundReconciler>();
        services.AddSingleton<IStartupTask, PaymentGatewayStartupLog>();
        return services.AddCommerceModule("orders", typeof(OrdersModule).Assembly);
    }

    public static IEndpointRouteBuilder MapOrders(this IEndpointRouteBuilder app)
    {
        PlaceOrderEndpoint.Map(app);
        CheckoutEndpoint.Map(app);
        PayOrderEndpoint.Map(app);
        CancelOrderEndpoint.Map(app);
        GetOrderEndpoint.Map(app);
        ListMyOrdersEndpoint.Map(app);
        RefundOrderEndpoint.Map(app);
        QuoteOrderEndpoint.Map(app);
        return app;
    }
}

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
using Commerce.Modules.Orders.Payments;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Orders;

public static class OrdersModule
{
    public static IServiceCollection AddOrdersModule(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PaymentGatewayOptions>().Bind(configuration.GetSection(PaymentGatewayOptions.Section))
            .Validate(o => o.Timeout > TimeSpan.Zero, $"{PaymentGatewayOptions.Section}:Timeout must be positive.").ValidateOnStart();
        // The reconciler must not ask about a payment while the request's own approve may still be on its way.
        services.AddOptions<OrdersOptions>().Bind(configuration.GetSection(OrdersOptions.Section))
            .Validate<IOptions<PaymentGatewayOptions>>((o, gateway) => o.ReconcileAfter > gateway.Value.Timeout,
                $"{OrdersOptions.Section}:ReconcileAfter must be longer than {PaymentGatewayOptions.Section}:Timeout.")
            .Validate(o => o.UnknownPaymentAlertAfter > TimeSpan.Zero && o.ReconcileInterval > TimeSpan.Zero && o.ReconcileMaxBackoff > TimeSpan.Zero,
                $"{OrdersOptions.Section} has a value out of range (see OrdersOptions).")
            .ValidateOnStart();
        services.AddMetrics();
        services.AddSingleton<PaymentMetrics>();
        services.AddSingleton<LateApprovalRefunds>();

        // A real gateway when its URL is configured, else the simulated one (its records in gateway_sim, shared by every instance).
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
            services.AddSingleton<IPaymentGateway, SimulatedPaymentGateway>();
        }

        services.AddHostedService<OrderExpiryJob>();
        services.AddHostedService<PaymentReconciler>();
        services.AddHostedService<ReleaseSweeper>();
        services.AddScoped<RefundEffects>();
        services.AddHostedService<RefundReconciler>();
        services.AddSingleton<IStartupTask, PaymentGatewayStartupLog>();
        return services.AddCommerceModule("orders", typeof(OrdersModule).Assembly);
    }

    /// <summary>The payments' figures in the readiness report (Degraded while a payment is unknown too long or a late approval waits).</summary>
    public static IHealthChecksBuilder AddPaymentsCheck(this IHealthChecksBuilder builder, params string[] tags) =>
        builder.AddCheck<PaymentsHealthCheck>("payments", tags: tags);

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

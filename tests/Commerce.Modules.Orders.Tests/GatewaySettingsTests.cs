using Commerce.Host;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Orders.Tests;

/// <summary>Start-up refuses a reconciler that could ask about a payment while the request's own approve is still on its way.</summary>
public sealed class GatewaySettingsTests
{
    /// <summary>
    /// The product's own composition and the validation the host runs when it starts (<c>ValidateOnStart</c>), without a
    /// web host around it: behind WebApplicationFactory a failed start surfaces as the factory's own ObjectDisposedException.
    /// </summary>
    private static void Start(string reconcileAfter, string timeout)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Commerce"] = "Host=127.0.0.1;Database=never_opened",
            ["Commerce:Orders:ReconcileAfter"] = reconcileAfter,
            ["Commerce:PaymentGateway:Timeout"] = timeout,
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddCommerce(configuration).BuildServiceProvider();
        services.GetRequiredService<IStartupValidator>().Validate();
    }

    [Theory]
    [InlineData("00:00:05", "00:00:05")]
    [InlineData("00:00:02", "00:00:05")]
    public void A_ReconcileAfter_not_longer_than_the_gateway_timeout_stops_the_start(string reconcileAfter, string timeout)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Start(reconcileAfter, timeout));

        Assert.Contains("ReconcileAfter must be longer than Commerce:PaymentGateway:Timeout", error.Message);
    }

    [Fact]
    public void A_ReconcileAfter_longer_than_the_gateway_timeout_starts() => Start("00:00:06", "00:00:05");
}

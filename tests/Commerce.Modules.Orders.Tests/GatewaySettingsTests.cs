using Commerce.Testing;

namespace Commerce.Modules.Orders.Tests;

/// <summary>Start-up refuses a reconciler that could ask about a payment while the request's own approve is still on its way.</summary>
public sealed class GatewaySettingsTests
{
    private sealed class ImpatientReconcilerApp(string reconcileAfter, string timeout) : OrdersApp
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
        {
            ["Commerce:Orders:ReconcileAfter"] = reconcileAfter,
            ["Commerce:PaymentGateway:Timeout"] = timeout,
        };
    }

    [Theory]
    [InlineData("00:00:05", "00:00:05")]
    [InlineData("00:00:02", "00:00:05")]
    public async Task A_ReconcileAfter_not_longer_than_the_gateway_timeout_stops_the_start(string reconcileAfter, string timeout)
    {
        await using var app = new ImpatientReconcilerApp(reconcileAfter, timeout);

        var error = await Assert.ThrowsAnyAsync<Exception>(app.InitializeAsync);

        Assert.Contains("ReconcileAfter must be longer than Commerce:PaymentGateway:Timeout", error.ToString());
    }
}

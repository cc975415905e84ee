using Commerce.Testing;

namespace Commerce.Modules.Orders.Tests;

/// <summary>The real host over HTTP, with the background jobs (expiry, reconciler, release sweeper) running fast.</summary>
public class OrdersApp : CommerceApp
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(JobSettings)
    {
        ["Commerce:PaymentGateway:Simulated:Latency"] = "00:00:00.005",
        ["Commerce:PaymentGateway:Simulated:DeclineAboveAmount"] = "900000",
    };

    public static IReadOnlyDictionary<string, string?> JobSettings { get; } = new Dictionary<string, string?>
    {
        ["Commerce:Orders:ExpiryInterval"] = "00:00:00.200",
        ["Commerce:Orders:ReconcileInterval"] = "00:00:00.200",
        ["Commerce:Orders:ReconcileAfter"] = "00:00:01",
        // Shorter than ReconcileAfter, as start-up demands.
        ["Commerce:PaymentGateway:Timeout"] = "00:00:00.500",
        ["Commerce:Orders:ReconcileMaxBackoff"] = "00:00:01",
        ["Commerce:Orders:ReleaseSweepInterval"] = "00:00:00.300",
        ["Commerce:Orders:ReleaseSweepAfter"] = "00:00:01",
    };
}

/// <summary>The host paying through the HTTP adapter against a fake gateway on loopback.</summary>
public sealed class GatewayApp : OrdersApp, IAsyncLifetime
{
    public FakePaymentGateway Gateway { get; private set; } = null!;

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>(JobSettings)
    {
        ["Commerce:PaymentGateway:Url"] = Gateway.Url.ToString(),
        // Generous for a loaded CI machine; the fake's "timeout after charge" waits longer still.
        ["Commerce:PaymentGateway:Timeout"] = "00:00:02",
        ["Commerce:Orders:ReconcileAfter"] = "00:00:03",
        ["Commerce:Orders:UnknownPaymentAlertAfter"] = "00:10:00",
    };

    async Task IAsyncLifetime.InitializeAsync()
    {
        Gateway = await FakePaymentGateway.StartAsync();
        await InitializeAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await Gateway.DisposeAsync();
    }
}

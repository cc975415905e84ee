using Commerce.Testing;

namespace Commerce.Modules.Orders.Tests;

/// <summary>The composition without HTTP, with a simulated gateway that answers at once.</summary>
public class OrdersHost : ModuleHost
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Commerce:PaymentGateway:Simulated:Latency"] = "00:00:00",
        ["Commerce:PaymentGateway:Simulated:DeclineAboveAmount"] = "900000",
    };
}

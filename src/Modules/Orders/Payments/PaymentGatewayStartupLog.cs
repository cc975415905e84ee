using Commerce.BuildingBlocks.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Orders.Payments;

/// <summary>Says at start-up where payments go, so nobody wonders whether the simulated gateway is charging real cards.</summary>
internal sealed class PaymentGatewayStartupLog(IOptions<PaymentGatewayOptions> options, ILogger<PaymentGatewayStartupLog> logger) : IStartupTask
{
    public Task RunAsync(CancellationToken ct)
    {
        var settings = options.Value;
        if (settings.Url is { } url)
        {
            logger.LogInformation("Payments go to the gateway at {Url} (timeout {Timeout})", url, settings.Timeout);
        }
        else
        {
            logger.LogInformation("Payments go to the built-in simulated gateway (latency {Latency}, decline rate {DeclineRate}, no-answer rate {NoAnswerRate}); " +
                                  "set Commerce:PaymentGateway:Url for a real one", settings.Simulated.Latency, settings.Simulated.DeclineRate, settings.Simulated.NoAnswerRate);
        }

        return Task.CompletedTask;
    }
}

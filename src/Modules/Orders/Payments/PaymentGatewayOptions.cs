namespace Commerce.Modules.Orders.Payments;

/// <summary><c>Commerce:PaymentGateway</c>. With no <see cref="Url"/> the built-in simulated gateway is used.</summary>
public sealed class PaymentGatewayOptions
{
    public const string Section = "Commerce:PaymentGateway";

    /// <summary>Base URL of a real gateway: approve = POST {Url}/payments, status = GET {Url}/payments/{paymentId}.</summary>
    public Uri? Url { get; set; }

    /// <summary>
    /// Per call (the simulated gateway honours it too); past it the outcome is unknown and the reconciler finds out
    /// later. <c>Commerce:Orders:ReconcileAfter</c> must be longer.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    public SimulatedGatewayOptions Simulated { get; set; } = new();
}

public sealed class SimulatedGatewayOptions
{
    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Payments above this amount are declined ("limit exceeded").</summary>
    public long? DeclineAboveAmount { get; set; }

    /// <summary>Share of payments declined at random, 0..1.</summary>
    public double DeclineRate { get; set; }

    /// <summary>Share of approvals that are charged but answered with silence (a timeout), 0..1: exercises the reconciler.</summary>
    public double NoAnswerRate { get; set; }
}

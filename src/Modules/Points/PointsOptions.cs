namespace Commerce.Modules.Points;

/// <summary><c>Commerce:Points</c>: limits on prepaid points, in won.</summary>
public sealed class PointsOptions
{
    public const string Section = "Commerce:Points";

    public long MaxChargeAmount { get; set; } = 1_000_000;

    public long MaxBalance { get; set; } = 10_000_000;
}

internal static class LedgerType
{
    public const string Charge = "CHARGE";
    public const string Use = "USE";
    public const string Refund = "REFUND";
}

using System.Globalization;
using System.Text;

namespace Commerce.Bench;

/// <summary>One line of the results table: an API scenario, an open-loop run, or a pgbench baseline.</summary>
internal sealed record Row(
    string Scenario,
    int Clients,
    int Requests,
    string Outcomes,
    double PerSecond,
    double[] LatenciesMs,
    int Errors,
    string Invariant,
    ResourceUse Resources,
    string Ratio = "")
{
    public bool InvariantHolds { get; init; } = true;

    /// <summary>A sustained run's rate and the rule's verdict; null for every other row.</summary>
    public Sustainment? Sustained { get; init; }

    public double Percentile(double p)
    {
        if (LatenciesMs.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(p / 100 * LatenciesMs.Length) - 1;
        return LatenciesMs[Math.Clamp(rank, 0, LatenciesMs.Length - 1)];
    }
}

internal static class Report
{
    private static readonly string[] Header =
    [
        "scenario", "clients", "requests", "outcomes", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors", "invariant",
        "host RSS peak MB", "CPU s host", "CPU s PG", "CPU s client", "host CPU ms/op", "PG CPU ms/op", "outbox backlog at end", "sustained per s", "sustained? (the rule)", "API / pgbench",
    ];

    public static string Table(IEnumerable<Row> rows)
    {
        var text = new StringBuilder();
        text.AppendLine("| " + string.Join(" | ", Header) + " |");
        text.AppendLine("|" + string.Concat(Header.Select((_, i) => i is 0 or 3 or 10 or 19 ? " --- |" : " ---: |")));
        foreach (var row in rows)
        {
            string[] cells =
            [
                row.Scenario, row.Clients.ToString(), row.Requests.ToString(), row.Outcomes, F(row.PerSecond, 0),
                F(row.Percentile(50)), F(row.Percentile(95)), F(row.Percentile(99)), F(row.LatenciesMs.LastOrDefault(double.NaN)),
                row.Errors.ToString(), row.Invariant, F(row.Resources.HostPeakRssMb, 0), F(row.Resources.HostCpu), F(row.Resources.PostgresCpu),
                F(row.Resources.ClientCpu), F(PerOperationMs(row.Resources.HostCpu, row.Requests), 2), F(PerOperationMs(row.Resources.PostgresCpu, row.Requests), 2),
                row.Resources.OutboxBacklog?.ToString(CultureInfo.InvariantCulture) ?? "–",
                row.Sustained is { } sustained ? F(sustained.PerSecond, 0) : "", row.Sustained?.Text ?? "", row.Ratio,
            ];
            text.AppendLine("| " + string.Join(" | ", cells.Select(c => c.Replace("|", "/", StringComparison.Ordinal))) + " |");
        }

        return text.ToString();
    }

    private static double PerOperationMs(double cpuSeconds, int operations) => operations > 0 ? cpuSeconds * 1000 / operations : double.NaN;

    public static string F(double value, int decimals = 1) =>
        double.IsNaN(value) ? "–" : value.ToString(decimals == 0 ? "0" : "0." + new string('0', decimals), CultureInfo.InvariantCulture);

    /// <summary>"201 ×1000, 409 COUPON_SOLD_OUT ×9000".</summary>
    public static string Outcomes(IReadOnlyDictionary<string, int> counts) => string.Join(", ", counts.Select(c => $"{c.Key} ×{c.Value}"));
}

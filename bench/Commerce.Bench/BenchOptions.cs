using System.Globalization;

namespace Commerce.Bench;

/// <summary>
/// Command line: <c>--scale 0.1</c> shrinks every count (harness development; the figures that count are at 1),
/// <c>--only coupon,hot,spread,pay,charge,reads,open,overload,mixed</c> runs a subset, <c>--pgbench-seconds N</c>,
/// <c>--open-loop-seconds N</c>, <c>--sustained-seconds N</c> (each sustained closed loop; 30 at scale 1), <c>--no-pgbench</c> and <c>--host-dll path</c> (tuning experiments: another build of the
/// host), <c>--set Key=Value</c> (repeatable) adds an environment variable to the host (e.g. <c>--set DOTNET_gcServer=0</c>),
/// <c>--label text</c> names the results file, <c>--rate "name=perSecond"</c> (repeatable; <c>charge</c>, <c>spread</c>,
/// <c>product page</c>) fixes the rate the open-loop, overload and mixed runs take their percentages of, instead of the
/// closed loop's: paired runs of two hosts then offer both the same load.
/// </summary>
internal sealed record BenchOptions(
    string RepositoryRoot,
    double Scale,
    IReadOnlySet<string> Only,
    int PgbenchSeconds,
    int OpenLoopSeconds,
    int SustainedSeconds,
    IReadOnlyDictionary<string, string> HostSettings,
    string Label,
    bool SkipPgbench,
    string? OtherHostDll,
    IReadOnlyDictionary<string, double> Rates)
{
    public static readonly string[] Scenarios = ["coupon", "hot", "spread", "pay", "charge", "reads", "open", "overload", "mixed"];

    public string HostDll => OtherHostDll ?? Path.Combine(RepositoryRoot, "src", "Host", "bin", "Release", "net10.0", "Commerce.Host.dll");

    public string PgbenchScript(string name) => Path.Combine(RepositoryRoot, "bench", "pgbench", name);

    public bool Runs(string scenario) => Only.Contains(scenario);

    /// <summary>A count at this run's scale, at least 1.</summary>
    public int Scaled(int count) => Math.Max(1, (int)Math.Round(count * Scale));

    public static BenchOptions Parse(string[] args)
    {
        var scale = 1.0;
        var only = new HashSet<string>(Scenarios);
        var pgbenchSeconds = 0;
        var openLoopSeconds = 0;
        var sustainedSeconds = 0;
        var settings = new Dictionary<string, string>();
        var label = "run";
        var skipPgbench = false;
        string? hostDll = null;
        var rates = new Dictionary<string, double>();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--scale":
                    scale = double.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--only":
                    only = [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                    if (only.FirstOrDefault(s => !Scenarios.Contains(s)) is { } unknown)
                    {
                        throw new ArgumentException($"Unknown scenario '{unknown}'; known: {string.Join(", ", Scenarios)}.");
                    }

                    break;
                case "--pgbench-seconds":
                    pgbenchSeconds = int.Parse(Next());
                    break;
                case "--open-loop-seconds":
                    openLoopSeconds = int.Parse(Next());
                    break;
                case "--sustained-seconds":
                    sustainedSeconds = int.Parse(Next());
                    break;
                case "--set":
                    var setting = Next().Split('=', 2);
                    settings[setting[0]] = setting.Length == 2 ? setting[1] : throw new ArgumentException("--set takes Key=Value.");
                    break;
                case "--no-pgbench":
                    skipPgbench = true;
                    break;
                case "--host-dll":
                    hostDll = Path.GetFullPath(Next());
                    break;
                case "--rate":
                    var rate = Next().Split('=', 2);
                    rates[rate[0].Trim()] = rate.Length == 2 ? double.Parse(rate[1], CultureInfo.InvariantCulture) : throw new ArgumentException("--rate takes name=perSecond.");
                    break;
                case "--label":
                    label = Next();
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }

        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Commerce.sln")))
        {
            root = root.Parent;
        }

        return new BenchOptions(
            root?.FullName ?? throw new InvalidOperationException("Commerce.sln not found above the harness."),
            scale,
            only,
            pgbenchSeconds > 0 ? pgbenchSeconds : scale < 1 ? 3 : 10,
            openLoopSeconds > 0 ? openLoopSeconds : scale < 1 ? 4 : 30,
            sustainedSeconds > 0 ? sustainedSeconds : scale < 1 ? 4 : 30,
            settings,
            label,
            skipPgbench,
            hostDll,
            rates);
    }
}

using Commerce.Testing;

namespace Commerce.Reliability.Tests;

/// <summary>Host processes on one database, configured as in production but with short job intervals.</summary>
internal static class Instances
{
    /// <summary>
    /// The settings every host here runs with: the shared database, the fake data platform, no rate limits (a rush
    /// from one test process is not abuse), short polls and backoffs so the tests take seconds, and warnings only
    /// in the captured output (plus the line that says where the host listens).
    /// </summary>
    public static Dictionary<string, string> Settings(string connectionString, FakeDataPlatform platform, string dataDirectory) => new()
    {
        ["ConnectionStrings__Commerce"] = connectionString,
        ["Commerce__DataDirectory"] = dataDirectory,
        ["Commerce__RateLimits__Enabled"] = "false",
        ["Commerce__DataPlatform__Url"] = platform.Url,
        ["Commerce__Outbox__PollInterval"] = "00:00:00.250",
        ["Commerce__Outbox__InitialBackoff"] = "00:00:00.100",
        ["Commerce__Outbox__MaxBackoff"] = "00:00:01",
        ["Serilog__MinimumLevel__Default"] = "Warning",
    };

    /// <summary>Starts <paramref name="count"/> hosts at once; if one fails to start, the others are stopped again.</summary>
    public static async Task<HostProcess[]> StartAsync(int count, IDictionary<string, string> settings)
    {
        var starting = Enumerable.Range(0, count).Select(_ => HostProcess.StartAsync(settings, TimeSpan.FromSeconds(90))).ToArray();
        try
        {
            return await Task.WhenAll(starting);
        }
        catch
        {
            await Task.WhenAll(starting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result.DisposeAsync().AsTask()));
            throw;
        }
    }

    public static Dictionary<string, string> With(this Dictionary<string, string> settings, params (string Key, string Value)[] more)
    {
        var copy = new Dictionary<string, string>(settings);
        foreach (var (key, value) in more)
        {
            copy[key] = value;
        }

        return copy;
    }

    public static string TemporaryDirectory(string name) =>
        Path.Combine(Path.GetTempPath(), "commerce-tests", $"{name}-{Guid.NewGuid().ToString("N")[..12]}");

    public static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a temporary directory left behind harms nothing.
        }
    }
}

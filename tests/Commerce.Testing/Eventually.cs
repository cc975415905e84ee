using Xunit.Sdk;

namespace Commerce.Testing;

/// <summary>Polls a condition that background work (relay, jobs) makes true, failing after a bounded wait.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string? because = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new XunitException($"Condition not met within {timeout}{(because is null ? "" : ": " + because)}.");
            }

            await Task.Delay(50);
        }
    }
}

namespace Commerce.Testing;

/// <summary>
/// The real host with its outbox relay sending to a <see cref="FakeDataPlatform"/> (<see cref="Platform"/>), with
/// short timeouts and backoff so failure tests take seconds. Use as an xunit class fixture.
/// </summary>
public class DataPlatformApp : CommerceApp
{
    public FakeDataPlatform Platform { get; } = FakeDataPlatform.StartAsync().GetAwaiter().GetResult();

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Commerce:DataPlatform:Url"] = Platform.Url,
        ["Commerce:DataPlatform:Timeout"] = "00:00:02",
        ["Commerce:Outbox:InitialBackoff"] = "00:00:00.100",
        ["Commerce:Outbox:MaxBackoff"] = "00:00:01",
        // Long on purpose: a commit must wake the relay, not the poll.
        ["Commerce:Outbox:PollInterval"] = "00:00:30",
        ["Commerce:Outbox:StatsInterval"] = "00:00:01",
    };

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Platform.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

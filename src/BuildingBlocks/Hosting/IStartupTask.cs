namespace Commerce.BuildingBlocks.Hosting;

/// <summary>Work that must finish before the host serves requests, run after migrations in registration order.</summary>
public interface IStartupTask
{
    Task RunAsync(CancellationToken ct);
}

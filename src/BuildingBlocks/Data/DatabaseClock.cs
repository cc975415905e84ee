namespace Commerce.BuildingBlocks.Data;

/// <summary>
/// The system clock at PostgreSQL's precision (microseconds), so a time returned in a response equals the same
/// time read back from the database later (.NET ticks are 100 ns).
/// </summary>
public sealed class DatabaseClock : TimeProvider
{
    public static readonly DatabaseClock Instance = new();

    public override DateTimeOffset GetUtcNow() => Truncate(System.GetUtcNow());

    public static DateTimeOffset Truncate(DateTimeOffset time) => new(time.Ticks - time.Ticks % TimeSpan.TicksPerMicrosecond, time.Offset);
}

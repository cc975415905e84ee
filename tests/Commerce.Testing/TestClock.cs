using Commerce.BuildingBlocks.Data;

namespace Commerce.Testing;

/// <summary>
/// A clock the tests move by hand. Starts at the real time so tokens and timers behave; timers still tick in
/// real time. Microsecond precision, like the product's clock and PostgreSQL.
/// </summary>
public sealed class TestClock : TimeProvider
{
    private DateTimeOffset _now = DatabaseClock.Instance.GetUtcNow();
    private readonly Lock _lock = new();

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _now;
        }
    }

    public void Advance(TimeSpan by)
    {
        lock (_lock)
        {
            _now = DatabaseClock.Truncate(_now + by);
        }
    }
}

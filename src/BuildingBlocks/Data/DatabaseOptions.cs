namespace Commerce.BuildingBlocks.Data;

public sealed class DatabaseOptions
{
    public const string Section = "Commerce:Database";

    /// <summary>How long a command waits for a row lock before it gives up with 409 LOCK_TIMEOUT (retryable).</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(3);

    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Attempts of a whole command on deadlock (40P01) or serialization failure (40001).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>
    /// Connections to PostgreSQL this instance keeps at most for requests and jobs (the outbox relay has its own,
    /// one per lane), unless the connection string sets its own Maximum Pool Size. Small on purpose: a flash sale
    /// queues on one row, and PostgreSQL serves a queue of a few sessions faster and more fairly than dozens woken
    /// together each time the row is released; requests beyond it wait for a connection in order. Measured on
    /// 2 cores (BENCHMARKS.md); raise it with the database server's cores, and keep instances × (this + lanes)
    /// below the server's max_connections.
    /// </summary>
    public int MaxPoolSize { get; set; } = 8;

    /// <summary>
    /// Statements Npgsql prepares on each connection once they were used a few times (0: none), so PostgreSQL parses
    /// and plans them once per connection instead of once per execution. Above the product's count of distinct
    /// statements, so none is evicted and prepared again. The connection string's Max Auto Prepare wins.
    /// </summary>
    public int MaxAutoPrepare { get; set; } = 256;

    /// <summary>How long a start waits for the database to accept connections (a transient failure: refused, timed out,
    /// starting up) before it gives up; long enough for a database started beside the instance, or restarting.</summary>
    public TimeSpan StartupWait { get; set; } = TimeSpan.FromSeconds(30);
}

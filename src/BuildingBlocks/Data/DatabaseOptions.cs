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
    /// Connections this instance keeps at most, unless the connection string sets its own Maximum Pool Size. Keep
    /// instances × this below the server's max_connections; a request finding the pool busy waits for a connection.
    /// </summary>
    public int MaxPoolSize { get; set; } = 30;
}

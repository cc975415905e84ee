namespace Commerce.BuildingBlocks.Hosting;

public sealed record EmbeddedPostgresOptions
{
    /// <summary>The cluster's directory (PGDATA). Created and initialised on first start.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Where initdb and pg_ctl live; found automatically when not set.</summary>
    public string? BinDirectory { get; init; }

    public string Database { get; init; } = "commerce";

    /// <summary>
    /// The loopback TCP port; a free one is picked on every start when not set. A fixed port lets a server that is
    /// stopped and started again come back where its clients look for it (tests of database restarts).
    /// </summary>
    public int? Port { get; init; }

    /// <summary>
    /// False only for throwaway test clusters: turns off fsync and friends. The product always keeps
    /// PostgreSQL's durable defaults.
    /// </summary>
    public bool Durable { get; init; } = true;

    /// <summary>Extra server settings (<c>-c name=value</c>).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}

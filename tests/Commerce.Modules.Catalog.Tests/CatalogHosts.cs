using Commerce.Testing;

namespace Commerce.Modules.Catalog.Tests;

/// <summary>A host whose popular products are never cached, so a test sees each sale at once.</summary>
public sealed class UncachedCatalogHost : ModuleHost
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Commerce:Catalog:PopularCacheDuration"] = "00:00:00",
    };
}

internal static class PostgresTime
{
    /// <summary>PostgreSQL keeps microseconds; the clock has 100 ns ticks.</summary>
    public static DateTimeOffset TruncatedToMicroseconds(this DateTimeOffset time) => time.AddTicks(-(time.Ticks % 10));
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Catalog.Features.GetPopularProducts;

/// <summary>
/// Popular products as last read, per (days, limit), for <see cref="CatalogOptions.PopularCacheDuration"/>: the page
/// every visitor sees costs one query per instance every few seconds. At most 30 × 50 entries, each replaced rather
/// than added, and an entry never outlives its UTC day. Misses racing each other all query; the query is cheap.
/// </summary>
internal sealed class PopularProductsCache(TimeProvider clock, IOptions<CatalogOptions> options)
{
    private readonly ConcurrentDictionary<(int Days, int Limit), Entry> _entries = new();

    public async Task<PopularProducts> GetOrLoadAsync(int days, int limit, Func<DateOnly, Task<PopularProducts>> load)
    {
        var now = clock.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        if (_entries.TryGetValue((days, limit), out var entry) && entry.ExpiresAt > now && entry.Value.To == today)
        {
            return entry.Value;
        }

        var value = await load(today);
        var duration = options.Value.PopularCacheDuration;
        if (duration > TimeSpan.Zero)
        {
            _entries[(days, limit)] = new Entry(value, now + duration);
        }

        return value;
    }

    private sealed record Entry(PopularProducts Value, DateTimeOffset ExpiresAt);
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Coupons;

/// <summary>
/// This instance's memory of sold-out campaigns, so the flood of claims after a sell-out is answered without a
/// database round trip. Only ever says "sold out" (never "issue"), so it cannot over-issue; the locked statement
/// decides every coupon. A campaign can only stop being sold out when an admin raises its quantity: a raise
/// through this instance forgets everything at once (after its commit), a raise through another instance is
/// picked up when the entry expires (<see cref="CouponsOptions.SoldOutMemory"/>).
/// </summary>
internal sealed class SoldOutCampaigns(TimeProvider clock, IOptions<CouponsOptions> options)
{
    private readonly ConcurrentDictionary<long, Entry> _entries = new();
    private long _generation;

    /// <summary>Read before looking at the database; an observation is only remembered if no raise happened since.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    public bool IsSoldOut(long campaignId)
    {
        if (!_entries.TryGetValue(campaignId, out var entry))
        {
            return false;
        }

        if (entry.Generation == Generation && clock.GetUtcNow() < entry.Until)
        {
            return true;
        }

        _entries.TryRemove(KeyValuePair.Create(campaignId, entry));
        return false;
    }

    /// <summary>
    /// Remembers a sell-out seen in the database by a request that started at <paramref name="generation"/>.
    /// Past the campaign's window the database answers (COUPON_NOT_ISSUABLE), so the entry ends there too.
    /// </summary>
    public void Remember(long campaignId, long generation, DateTimeOffset endsAt)
    {
        var memory = options.Value.SoldOutMemory;
        if (memory > TimeSpan.Zero)
        {
            var until = clock.GetUtcNow() + memory;
            _entries[campaignId] = new Entry(generation, until < endsAt ? until : endsAt);
        }
    }

    /// <summary>
    /// Called after a quantity change committed. Bumping the generation also voids entries that requests which
    /// read the old quantity are about to write.
    /// </summary>
    public void Forget(long campaignId)
    {
        Interlocked.Increment(ref _generation);
        _entries.TryRemove(campaignId, out _);
    }

    private sealed record Entry(long Generation, DateTimeOffset Until);
}

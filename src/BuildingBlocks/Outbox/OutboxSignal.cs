namespace Commerce.BuildingBlocks.Outbox;

/// <summary>Wakes the relay right after a commit that wrote events, so delivery does not wait for the next poll.</summary>
public sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);
    // Lanes lingering before a claim or with a batch in hand, and whether a commit came meanwhile (see BeginServing).
    private int _serving;
    private int _missed;

    public void Wake()
    {
        // A lane that is serving comes back for this commit's events when its batch ends: waking another lane now
        // would only split the events into smaller batches. Set before the check, cleared after EndServing's
        // decrement: whichever order they meet in, someone claims after this commit.
        Interlocked.Exchange(ref _missed, 1);
        if (Volatile.Read(ref _serving) == 0)
        {
            WakeAnother();
        }
    }

    /// <summary>Releases a waiting lane whether or not one is serving: a full batch, or missed commits of a lane that cannot come back for them soon.</summary>
    internal void WakeAnother()
    {
        if (_signal.CurrentCount == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another commit woke it first: one wake-up is enough.
            }
        }
    }

    /// <summary>
    /// A lane is about to claim: the commits before its claim are its own, and those until <see cref="EndServing"/>
    /// (the wake-ups it missed) it claims next.
    /// </summary>
    internal void BeginServing()
    {
        Interlocked.Increment(ref _serving);
        Interlocked.Exchange(ref _missed, 0);
    }

    /// <summary>Whether a commit came while the lane was serving (and woke no other lane for it).</summary>
    internal bool EndServing()
    {
        Interlocked.Decrement(ref _serving);
        return Interlocked.Exchange(ref _missed, 0) == 1;
    }

    public void Dispose() => _signal.Dispose();

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}

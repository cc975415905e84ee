using Commerce.Modules.Members.Auth;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Members.Tests;

public sealed class MemberStatusCacheTests
{
    private static readonly MemberAccess Active = new("member", "ACTIVE");

    private static MemberStatusCache Cache(TimeSpan duration) => new(Options.Create(new MemberStatusCacheOptions
    {
        Duration = duration,
        DurationWhileListening = TimeSpan.FromHours(1),
    }));

    [Fact]
    public async Task While_listening_an_account_is_trusted_for_long_unless_a_change_was_announced_while_it_was_read()
    {
        using var cache = Cache(TimeSpan.FromMilliseconds(200));
        cache.Listening(true);
        cache.Remember(1, Active, cache.Changes);
        var readBeforeTheChange = cache.Changes;
        cache.Forget(2);
        cache.Remember(2, Active, readBeforeTheChange);

        await Task.Delay(TimeSpan.FromMilliseconds(500));

        Assert.True(cache.TryGet(1, out _));
        Assert.False(cache.TryGet(2, out _));
    }

    [Fact]
    public async Task Not_listening_or_a_missing_account_is_trusted_only_for_the_short_duration()
    {
        using var cache = Cache(TimeSpan.FromMilliseconds(200));
        cache.Remember(1, Active, cache.Changes);
        cache.Listening(true);
        cache.Remember(2, null, cache.Changes);
        cache.Remember(3, Active, cache.Changes);
        Assert.True(cache.TryGet(3, out _));
        cache.Listening(false);
        cache.Remember(4, Active, cache.Changes);

        await Task.Delay(TimeSpan.FromMilliseconds(500));

        Assert.False(cache.TryGet(1, out _));
        Assert.False(cache.TryGet(2, out _));
        // Trusted for long while listening, but forgotten when listening stopped: changes were no longer heard.
        Assert.False(cache.TryGet(3, out _));
        Assert.False(cache.TryGet(4, out _));
    }

    [Fact]
    public void A_zero_duration_remembers_nothing_even_while_listening()
    {
        using var cache = Cache(TimeSpan.Zero);
        cache.Listening(true);
        cache.Remember(1, Active, cache.Changes);

        Assert.False(cache.TryGet(1, out _));
    }
}

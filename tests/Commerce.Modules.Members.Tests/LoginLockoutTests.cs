using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Members.Features.Login;
using Commerce.Modules.Members.Features.SignUp;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Modules.Members.Tests;

/// <summary>Five wrong passwords for one email from one address lock that pair for five minutes (the defaults).</summary>
[StartFirst]
public sealed class LoginLockoutTests(ModuleHost host) : IClassFixture<ModuleHost>
{
    private const string Password = "Secret-pass-1";
    private const string Wrong = "Wrong-pass-1";
    private static int _accounts;

    private async Task<string> NewAccountAsync()
    {
        var email = $"lockout{Interlocked.Increment(ref _accounts)}@example.com";
        await host.SendAsync(new SignUp("Lockout", email, Password));
        return email;
    }

    private async Task<string> AttemptAsync(string email, string password, string client = "192.0.2.1")
    {
        try
        {
            await host.SendAsync(new Login(email, password, client));
            return "OK";
        }
        catch (AppException e) when (e.Status == 429)
        {
            return $"{e.Status} {e.Code} retry after {e.Extensions["retryAfter"]}s";
        }
        catch (AppException e)
        {
            return $"{e.Status} {e.Code}";
        }
    }

    private async Task<string[]> FailAsync(string email, int times, string client = "192.0.2.1")
    {
        var outcomes = new List<string>();
        for (var i = 0; i < times; i++)
        {
            outcomes.Add(await AttemptAsync(email, Wrong, client));
        }

        return [.. outcomes];
    }

    [Fact]
    public async Task Five_wrong_passwords_lock_the_email_for_five_minutes_even_for_the_right_password()
    {
        var email = await NewAccountAsync();

        Assert.All(await FailAsync(email, 5), outcome => Assert.Equal("401 INVALID_CREDENTIALS", outcome));
        Assert.Equal("429 LOGIN_LOCKED retry after 300s", await AttemptAsync(email, Password));

        host.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal("OK", await AttemptAsync(email, Password));
    }

    [Fact]
    public async Task Attempts_during_a_lock_neither_count_nor_make_it_longer()
    {
        var email = await NewAccountAsync();
        await FailAsync(email, 5);

        host.Clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(["429 LOGIN_LOCKED retry after 60s", "429 LOGIN_LOCKED retry after 60s"], await FailAsync(email, 2));

        host.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("401 INVALID_CREDENTIALS", await AttemptAsync(email, Wrong));
        Assert.Equal(1, await host.Sql.ScalarAsync<int>("SELECT failures FROM members.login_attempts WHERE email = @email", new { email }));
        Assert.Equal("OK", await AttemptAsync(email, Password));
    }

    [Fact]
    public async Task The_right_password_ends_the_count()
    {
        var email = await NewAccountAsync();

        await FailAsync(email, 4);
        Assert.Equal("OK", await AttemptAsync(email, Password));
        Assert.All(await FailAsync(email, 4), outcome => Assert.Equal("401 INVALID_CREDENTIALS", outcome));

        Assert.Equal("OK", await AttemptAsync(email, Password));
        Assert.Equal(0, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM members.login_attempts WHERE email = @email", new { email }));
    }

    [Fact]
    public async Task An_unknown_email_locks_exactly_like_a_known_one_so_the_lock_tells_nothing()
    {
        var known = await NewAccountAsync();
        const string unknown = "nobody-here@example.com";

        var knownOutcomes = await FailAsync(known, 6);
        var unknownOutcomes = await FailAsync(unknown, 6);

        Assert.Equal(knownOutcomes, unknownOutcomes);
        Assert.Equal("429 LOGIN_LOCKED retry after 300s", unknownOutcomes[^1]);
    }

    [Fact]
    public async Task The_lock_holds_only_for_the_address_that_failed_so_an_attacker_cannot_lock_the_owner_out()
    {
        var email = await NewAccountAsync();

        await FailAsync(email, 5, client: "203.0.113.66");

        Assert.StartsWith("429 LOGIN_LOCKED", await AttemptAsync(email, Password, client: "203.0.113.66"));
        Assert.Equal("OK", await AttemptAsync(email, Password, client: "198.51.100.7"));
    }

    [Fact]
    public async Task Failures_older_than_the_window_are_forgotten()
    {
        var email = await NewAccountAsync();
        await FailAsync(email, 4);

        host.Clock.Advance(TimeSpan.FromMinutes(16));

        Assert.All(await FailAsync(email, 4), outcome => Assert.Equal("401 INVALID_CREDENTIALS", outcome));
        Assert.Equal("OK", await AttemptAsync(email, Password));
    }

    [Fact]
    public async Task Twenty_parallel_guesses_get_exactly_five_password_checks()
    {
        var email = await NewAccountAsync();

        var outcomes = await Concurrently.RunAsync(20, _ => AttemptAsync(email, Wrong));

        Assert.Equal(5, outcomes.Count(o => o == "401 INVALID_CREDENTIALS"));
        Assert.Equal(15, outcomes.Count(o => o.StartsWith("429 LOGIN_LOCKED", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_cleanup_deletes_only_counts_that_no_longer_matter()
    {
        var running = await NewAccountAsync();
        var locked = await NewAccountAsync();
        var ended = await NewAccountAsync();
        await FailAsync(ended, 5);
        host.Clock.Advance(TimeSpan.FromMinutes(10));
        await FailAsync(running, 2);
        await FailAsync(locked, 5);

        var cleanup = host.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<LoginAttemptCleanup>().Single();
        await using (var scope = host.Services.CreateAsyncScope())
        {
            await cleanup.DeleteFinishedAsync(scope.ServiceProvider.GetRequiredService<DbSession>(), CancellationToken.None);
        }

        var left = await host.Sql.QueryAsync<string>("SELECT email FROM members.login_attempts WHERE email = ANY(@emails) ORDER BY email",
            new { emails = new[] { running, locked, ended } });
        Assert.Equal(new[] { running, locked }.Order(), left);
    }
}

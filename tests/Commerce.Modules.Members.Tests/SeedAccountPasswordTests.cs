using Commerce.Modules.Members.Startup;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.Modules.Members.Tests;

/// <summary>Passwords from settings meet the same rules as sign-up: the host refuses to start with a weak one.</summary>
public sealed class SeedAccountPasswordTests(ModuleHost host) : IClassFixture<ModuleHost>
{
    private SeedAccounts Seed(string adminPassword, string demoPassword) => new(
        host.Services.GetRequiredService<NpgsqlDataSource>(),
        Options.Create(new AdminOptions { Email = "root@example.com", Password = adminPassword }),
        Options.Create(new DemoDataOptions { Enabled = true, Members = [new() { Name = "Demo", Email = "demo@example.com", Password = demoPassword }] }),
        host.Clock,
        NullLogger<SeedAccounts>.Instance);

    [Theory]
    [InlineData("short-1")]
    [InlineData("onlyletterswithoutdigits")]
    [InlineData("1111111111111")]
    [InlineData("aaaaaaaaaa11")]
    public async Task A_weak_admin_password_stops_the_start_and_creates_no_account(string weak)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Seed(weak, "Demo-password-1").RunAsync(CancellationToken.None));

        Assert.StartsWith("Commerce:Admin:Password is too weak:", error.Message);
        Assert.Equal(0, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM members.members WHERE email = 'root@example.com'"));
    }

    [Fact]
    public async Task A_weak_demo_password_stops_the_start_before_any_demo_member_is_created()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Seed("Admin-password-1", "password").RunAsync(CancellationToken.None));

        Assert.Contains("demo@example.com is too weak", error.Message);
        Assert.Equal(0, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM members.members WHERE role = 'member'"));
    }
}

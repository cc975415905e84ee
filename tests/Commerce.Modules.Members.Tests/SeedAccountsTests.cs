using Commerce.BuildingBlocks.Hosting;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Modules.Members.Tests;

public sealed class SeedAccountsTests(SeedAccountsTests.Host host) : IClassFixture<SeedAccountsTests.Host>
{
    public sealed class Host : ModuleHost
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Commerce:Admin:Email"] = "root@example.com",
            ["Commerce:Admin:Password"] = "Admin-password-1",
            ["Commerce:DemoData:Enabled"] = "true",
            ["Commerce:DemoData:Members:0:Name"] = "Demo",
            ["Commerce:DemoData:Members:0:Email"] = "demo@example.com",
            ["Commerce:DemoData:Members:0:Password"] = "Demo-password-1",
        };
    }

    [Fact]
    public async Task Start_up_creates_the_admin_and_demo_members_once_however_often_it_runs()
    {
        foreach (var _ in Enumerable.Range(0, 3))
        {
            foreach (var task in host.Services.GetServices<IStartupTask>())
            {
                await task.RunAsync(CancellationToken.None);
            }
        }

        var accounts = await host.Sql.QueryAsync<(string Email, string Role)>("SELECT email, role FROM members.members ORDER BY id");
        Assert.Equal([("root@example.com", "admin"), ("demo@example.com", "member")], accounts);
    }
}

using Commerce.BuildingBlocks.Hosting;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Host.Tests;

public sealed class DemoDataTests(DemoDataTests.DemoApp app) : IClassFixture<DemoDataTests.DemoApp>
{
    public sealed class DemoApp : CommerceApp
    {
        protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
        {
            ["Commerce:DemoData:Enabled"] = "true",
            ["Commerce:DemoData:Members:0:Name"] = "Alice",
            ["Commerce:DemoData:Members:0:Email"] = "alice@demo.test",
            ["Commerce:DemoData:Members:0:Password"] = "Alice-password-1",
            ["Commerce:DemoData:Members:1:Name"] = "Bob",
            ["Commerce:DemoData:Members:1:Email"] = "bob@demo.test",
            ["Commerce:DemoData:Members:1:Password"] = "Bob-password-12",
        };
    }

    [Fact]
    public async Task A_first_start_with_demo_data_creates_members_products_campaigns_and_points_once()
    {
        // A second start on the same database must not add anything.
        foreach (var task in app.Services.GetServices<IStartupTask>())
        {
            await task.RunAsync(CancellationToken.None);
        }

        var products = await app.Sql.QueryAsync<(string Name, int Stock)>("SELECT name, stock FROM catalog.products ORDER BY id");
        var campaigns = await app.Sql.QueryAsync<(string DiscountType, string Target, long? MaxDiscount, int TotalQuantity)>(
            "SELECT discount_type, target, max_discount, total_quantity FROM coupons.campaigns ORDER BY id");
        var balances = await app.Sql.QueryAsync<long>("""
            SELECT w.balance FROM points.wallets w JOIN members.members m ON m.id = w.member_id
            WHERE m.email IN ('alice@demo.test', 'bob@demo.test')
            """);

        Assert.Equal(5, products.Count);
        Assert.Contains(products, p => p.Stock <= 3);
        Assert.Equal(4, campaigns.Count);
        Assert.Contains(campaigns, c => c.DiscountType == "FIXED" && c.Target == "ORDER");
        Assert.Contains(campaigns, c => c.DiscountType == "PERCENT" && c.MaxDiscount is not null);
        Assert.Contains(campaigns, c => c.Target == "PRODUCT");
        Assert.Contains(campaigns, c => c.TotalQuantity == 10);
        Assert.Equal([300_000L, 300_000L], balances);
        Assert.Equal(3, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM members.members"));
    }
}

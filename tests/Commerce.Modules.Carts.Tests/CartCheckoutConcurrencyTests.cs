using System.Diagnostics;
using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Carts.Features.CheckoutCart;
using Commerce.Modules.Carts.Features.SetCartLine;
using Commerce.Testing;
using Xunit.Abstractions;

namespace Commerce.Modules.Carts.Tests;

public sealed class CartCheckoutConcurrencyTests(CartsHost host, ITestOutputHelper output) : IClassFixture<CartsHost>
{
    [Fact]
    public async Task A_hundred_members_checking_out_carts_that_share_a_30_unit_product_buy_exactly_30_and_the_rest_keep_their_carts()
    {
        var members = await TestMembers.InsertAsync(host.Sql, 100);
        var hot = await host.Services.NewProductAsync(price: 10_000, stock: 30);
        var plenty = await host.Services.NewProductAsync(price: 1_000, stock: 1_000);
        foreach (var member in members)
        {
            await host.Services.ChargeAsync(member.Id, 50_000);
            await host.SendAsync(new SetCartLine(CartRef.OfMember(member.Id), hot.Id, 1));
            await host.SendAsync(new SetCartLine(CartRef.OfMember(member.Id), plenty.Id, 2));
        }

        var elapsed = Stopwatch.StartNew();
        var outcomes = await Concurrently.RunAsync(members.Count, async i =>
        {
            try
            {
                await host.SendAsync(new CheckoutCart(members[i].Id, null));
                return "PAID";
            }
            catch (AppException e)
            {
                return e.Code;
            }
        });
        elapsed.Stop();

        var byOutcome = outcomes.GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"100 cart checkouts in {elapsed.ElapsedMilliseconds} ms: {string.Join(", ", byOutcome.Select(o => $"{o.Key} {o.Value}"))}");
        Assert.Equal(30, byOutcome["PAID"]);
        Assert.All(byOutcome.Keys.Where(k => k != "PAID"), code => Assert.True(code is "OUT_OF_STOCK" or "LOCK_TIMEOUT", code));
        Assert.Equal((0L, 940L), (await host.Sql.StockAsync(hot.Id), await host.Sql.StockAsync(plenty.Id)));
        Assert.Equal(30, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders WHERE status = 'PAID'"));
        Assert.Equal(0, await host.Sql.WalletsOffTheirLedgerAsync());
        for (var i = 0; i < members.Count; i++)
        {
            var lines = await host.MemberCartLines(members[i].Id);
            Assert.Equal(outcomes[i] == "PAID" ? [] : [(hot.Id, 1), (plenty.Id, 2)], lines);
            Assert.Equal(outcomes[i] == "PAID" ? 38_000L : 50_000L, await host.Sql.BalanceAsync(members[i].Id));
        }
    }
}

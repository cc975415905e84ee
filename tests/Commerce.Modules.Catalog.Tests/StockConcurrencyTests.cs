using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Catalog.Contracts;
using Commerce.Modules.Catalog.Features.RestockProduct;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Commerce.Modules.Catalog.Tests;

public sealed class StockConcurrencyTests(ModuleHost host, ITestOutputHelper output) : IClassFixture<ModuleHost>
{
    [Fact]
    public async Task Sixty_concurrent_reserves_of_a_product_with_ten_in_stock_give_exactly_ten_and_fifty_OUT_OF_STOCK()
    {
        var product = await host.Services.NewProductAsync(stock: 10);

        var outcomes = await Concurrently.RunAsync(60, _ => Outcome(() => Reserve((product.Id, 1))));

        output.WriteLine($"60 reserves of 1 on a stock of 10: {outcomes.Count(o => o == "OK")} OK, {outcomes.Count(o => o == "OUT_OF_STOCK")} OUT_OF_STOCK");
        Assert.Equal(10, outcomes.Count(o => o == "OK"));
        Assert.Equal(50, outcomes.Count(o => o == "OUT_OF_STOCK"));
        Assert.Equal(0, await host.Sql.StockAsync(product.Id));
    }

    [Fact]
    public async Task Concurrent_reserves_of_mixed_quantities_never_take_more_than_the_stock()
    {
        var product = await host.Services.NewProductAsync(stock: 25);

        var results = await Concurrently.RunAsync(40, async i =>
        {
            var quantity = i % 4 + 1;
            return (Quantity: quantity, Outcome: await Outcome(() => Reserve((product.Id, quantity))));
        });

        var taken = results.Where(r => r.Outcome == "OK").Sum(r => r.Quantity);
        var stock = await host.Sql.StockAsync(product.Id);
        output.WriteLine($"40 reserves of 1..4 on a stock of 25: {results.Count(r => r.Outcome == "OK")} OK taking {taken}, stock left {stock}");
        Assert.All(results, r => Assert.True(r.Outcome is "OK" or "OUT_OF_STOCK", r.Outcome));
        Assert.Equal(25, taken + stock);
        Assert.InRange(stock, 0, 3);
    }

    [Fact]
    public async Task Reserves_naming_two_products_in_opposite_orders_never_deadlock()
    {
        var a = await host.Services.NewProductAsync(stock: 1_000);
        var b = await host.Services.NewProductAsync(stock: 1_000);

        var outcomes = await Concurrently.RunAsync(40, i => Outcome(() => i % 2 == 0 ? Reserve((a.Id, 1), (b.Id, 2)) : Reserve((b.Id, 2), (a.Id, 1))));

        Assert.All(outcomes, o => Assert.Equal("OK", o));
        Assert.Equal((960, 920), (await host.Sql.StockAsync(a.Id), await host.Sql.StockAsync(b.Id)));
    }

    [Fact]
    public async Task Restocks_and_reserves_racing_on_one_product_keep_the_stock_equal_to_the_arithmetic()
    {
        var product = await host.Services.NewProductAsync(stock: 5);

        var results = await Concurrently.RunAsync(80, async i =>
        {
            if (i % 4 == 0)
            {
                await host.SendAsync(new RestockProduct(product.Id, 3));
                return (Restocked: 3, Reserved: 0, Outcome: "RESTOCK");
            }

            var outcome = await Outcome(() => Reserve((product.Id, 2)));
            return (Restocked: 0, Reserved: outcome == "OK" ? 2 : 0, Outcome: outcome);
        });

        var stock = await host.Sql.StockAsync(product.Id);
        output.WriteLine($"20 restocks of 3 racing 60 reserves of 2 from 5: {results.Count(r => r.Outcome == "OK")} reserved, " +
                         $"{results.Count(r => r.Outcome == "OUT_OF_STOCK")} OUT_OF_STOCK, final stock {stock}");
        Assert.Equal(5 + results.Sum(r => r.Restocked) - results.Sum(r => r.Reserved), stock);
        Assert.True(stock >= 0);
        Assert.All(results, r => Assert.True(r.Outcome is "RESTOCK" or "OK" or "OUT_OF_STOCK", r.Outcome));
    }

    private Task<IReadOnlyList<ProductSnapshot>> Reserve(params (long ProductId, int Quantity)[] lines) =>
        host.InTransactionAsync(sp => sp.GetRequiredService<IProductStock>()
            .LockAndReserveAsync(lines.Select(l => new StockLine(l.ProductId, l.Quantity)).ToList(), default));

    private static async Task<string> Outcome(Func<Task<IReadOnlyList<ProductSnapshot>>> reserve)
    {
        try
        {
            var snapshots = await reserve();
            Assert.All(snapshots, s => Assert.True(s.Stock >= 0));
            return "OK";
        }
        catch (AppException e)
        {
            return e.Code;
        }
    }
}

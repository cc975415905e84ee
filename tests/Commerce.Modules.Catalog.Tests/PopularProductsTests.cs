using Commerce.Modules.Catalog.Contracts;
using Commerce.Modules.Catalog.Features.GetPopularProducts;
using Commerce.Testing;
using FluentValidation;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Modules.Catalog.Tests;

/// <summary>Each test starts from empty figures (the tests of a class run one after another on its database).</summary>
public sealed class PopularProductsTests(UncachedCatalogHost host) : IClassFixture<UncachedCatalogHost>, IAsyncLifetime
{
    public Task InitializeAsync() => host.Sql.ExecuteAsync("DELETE FROM catalog.product_sales_daily");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Popular_products_rank_by_units_most_first_with_ties_to_the_lower_id()
    {
        var (a, b, c, d) = (await Product(), await Product(), await Product(), await Product());
        await Sold(TimeSpan.Zero, (a, 2), (b, 7), (c, 7));
        await Sold(TimeSpan.Zero, (a, 1));
        await Sold(-TimeSpan.FromDays(1), (a, 5));

        var popular = await host.SendAsync(new GetPopularProducts(3, 10));

        Assert.Equal([(a, 8L), (b, 7L), (c, 7L)], popular.Items.Select(p => (p.ProductId, p.Units)));
        Assert.DoesNotContain(popular.Items, p => p.ProductId == d);
        var top = popular.Items[0];
        Assert.Equal(("Product", 1_000L, "ON_SALE"), (top.Name, top.Price, top.Status));
    }

    [Fact]
    public async Task Popular_products_window_is_the_last_N_UTC_days_including_today()
    {
        var (today, twoDaysAgo, fiveDaysAgo) = (await Product(), await Product(), await Product());
        await Sold(TimeSpan.Zero, (today, 1));
        await Sold(-TimeSpan.FromDays(2), (twoDaysAgo, 10));
        await Sold(-TimeSpan.FromDays(5), (fiveDaysAgo, 100));
        var now = DateOnly.FromDateTime(host.Clock.GetUtcNow().UtcDateTime);

        var oneDay = await host.SendAsync(new GetPopularProducts(1, 10));
        var threeDays = await host.SendAsync(new GetPopularProducts(3, 10));
        var sixDays = await host.SendAsync(new GetPopularProducts(6, 10));

        Assert.Equal([today], oneDay.Items.Select(p => p.ProductId));
        Assert.Equal((now, now), (oneDay.From, oneDay.To));
        Assert.Equal([twoDaysAgo, today], threeDays.Items.Select(p => p.ProductId));
        Assert.Equal((now.AddDays(-2), 3), (threeDays.From, threeDays.Days));
        Assert.Equal([fiveDaysAgo, twoDaysAgo, today], sixDays.Items.Select(p => p.ProductId));
    }

    [Fact]
    public async Task Popular_products_window_moves_with_the_clock()
    {
        var (recent, older) = (await Product(), await Product());
        await Sold(TimeSpan.Zero, (recent, 1));
        await Sold(-TimeSpan.FromDays(2), (older, 10));

        host.Clock.Advance(TimeSpan.FromDays(1));
        var threeDays = await host.SendAsync(new GetPopularProducts(3, 10));
        host.Clock.Advance(TimeSpan.FromDays(3));
        var later = await host.SendAsync(new GetPopularProducts(3, 10));

        Assert.Equal([recent], threeDays.Items.Select(p => p.ProductId));
        Assert.Empty(later.Items);
    }

    [Fact]
    public async Task Popular_products_returns_at_most_limit_products()
    {
        var products = new List<long>();
        for (var i = 0; i < 6; i++)
        {
            products.Add(await Product());
            await Sold(TimeSpan.Zero, (products[i], i + 1));
        }

        var popular = await host.SendAsync(new GetPopularProducts(1, 4));

        Assert.Equal([products[5], products[4], products[3], products[2]], popular.Items.Select(p => p.ProductId));
    }

    [Fact]
    public async Task Popular_products_take_refunds_out_of_the_day_they_were_paid()
    {
        var (kept, refunded) = (await Product(), await Product());
        var paidAt = host.Clock.GetUtcNow().AddDays(-1);
        await Sold(-TimeSpan.FromDays(1), (kept, 3), (refunded, 5));
        host.Clock.Advance(TimeSpan.FromHours(3));

        await Stock(s => s.RevokeSoldAsync([new StockLine(refunded, 4)], paidAt, default));
        var partly = await host.SendAsync(new GetPopularProducts(3, 10));
        await Stock(s => s.RevokeSoldAsync([new StockLine(refunded, 1)], paidAt, default));
        var whole = await host.SendAsync(new GetPopularProducts(3, 10));

        Assert.Equal([(kept, 3L), (refunded, 1L)], partly.Items.Select(p => (p.ProductId, p.Units)));
        Assert.Equal([(kept, 3L)], whole.Items.Select(p => (p.ProductId, p.Units)));
    }

    [Fact]
    public async Task Popular_products_keep_a_discontinued_product_with_its_status()
    {
        var product = await Product();
        await Sold(TimeSpan.Zero, (product, 2));
        await host.SendAsync(new Features.UpdateProduct.UpdateProduct(product, Status: "DISCONTINUED"));

        var popular = await host.SendAsync(new GetPopularProducts(1, 5));

        Assert.Equal("DISCONTINUED", Assert.Single(popular.Items).Status);
    }

    [Theory]
    [InlineData(0, 5, "Days")]
    [InlineData(31, 5, "Days")]
    [InlineData(3, 0, "Limit")]
    [InlineData(3, 51, "Limit")]
    public async Task Popular_products_days_and_limit_out_of_range_are_validation_errors(int days, int limit, string field)
    {
        var error = await Assert.ThrowsAsync<ValidationException>(() => host.SendAsync(new GetPopularProducts(days, limit)));

        Assert.Equal(field, Assert.Single(error.Errors).PropertyName);
    }

    private async Task<long> Product() => (await host.Services.NewProductAsync(name: "Product")).Id;

    private Task<bool> Sold(TimeSpan ago, params (long ProductId, int Units)[] lines) =>
        Stock(s => s.RecordSoldAsync(lines.Select(l => new StockLine(l.ProductId, l.Units)).ToList(), host.Clock.GetUtcNow() + ago, default));

    private Task<bool> Stock(Func<IProductStock, Task> work) =>
        host.InTransactionAsync(async sp =>
        {
            await work(sp.GetRequiredService<IProductStock>());
            return true;
        });
}

public sealed class PopularProductsCacheTests(ModuleHost host) : IClassFixture<ModuleHost>
{
    [Fact]
    public async Task Popular_products_are_served_from_memory_for_five_seconds()
    {
        var product = await host.Services.NewProductAsync();
        var first = await host.SendAsync(new GetPopularProducts(2, 7));
        await host.InTransactionAsync(sp => Done(sp.GetRequiredService<IProductStock>()
            .RecordSoldAsync([new StockLine(product.Id, 3)], host.Clock.GetUtcNow(), default)));

        var cached = await host.SendAsync(new GetPopularProducts(2, 7));
        var otherLimit = await host.SendAsync(new GetPopularProducts(2, 8));
        host.Clock.Advance(TimeSpan.FromSeconds(5));
        var fresh = await host.SendAsync(new GetPopularProducts(2, 7));

        Assert.Empty(first.Items);
        Assert.Same(first, cached);
        Assert.Single(otherLimit.Items);
        Assert.Equal(3, Assert.Single(fresh.Items).Units);
    }

    private static async Task<bool> Done(Task task)
    {
        await task;
        return true;
    }
}

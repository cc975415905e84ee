using System.Net.Http.Json;
using Commerce.Modules.Catalog.Contracts;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Modules.Catalog.Tests;

/// <summary>Lists read the whole catalog, so they get a database of their own with known contents.</summary>
public sealed class CatalogListEndpointTests(CommerceApp app) : IClassFixture<CommerceApp>, IAsyncLifetime
{
    private static readonly string[] Names = ["Green tea", "Black tea", "Mug", "Teapot"];

    public async Task InitializeAsync()
    {
        if (await app.Sql.ScalarAsync<long>("SELECT count(*) FROM catalog.products") > 0)
        {
            return;
        }

        // A fixed day, so the popular-products window in the snapshot reads the same every day.
        app.Clock.Advance(new DateTimeOffset(2030, 1, 15, 12, 0, 0, TimeSpan.Zero) - app.Clock.GetUtcNow());
        var admin = await app.AdminAsync();
        var ids = new List<long>();
        foreach (var (name, i) in Names.Select((n, i) => (n, i)))
        {
            var response = await admin.PostAsJsonAsync("/api/admin/products", new { name, price = 1_000 * (i + 1), stock = 10 * i });
            ids.Add((await response.Content.ReadFromJsonAsync<ProductResponse>())!.Id);
        }

        (await admin.PatchAsJsonAsync($"/api/admin/products/{ids[2]}", new { status = "DISCONTINUED" })).EnsureSuccessStatusCode();
        var now = app.Clock.GetUtcNow();
        await app.Services.InTransactionAsync(async sp =>
        {
            var stock = sp.GetRequiredService<IProductStock>();
            await stock.RecordSoldAsync([new StockLine(ids[0], 3), new StockLine(ids[1], 5), new StockLine(ids[2], 1)], now, default);
            await stock.RecordSoldAsync([new StockLine(ids[0], 4)], now.AddDays(-1), default);
            await stock.RecordSoldAsync([new StockLine(ids[3], 50)], now.AddDays(-3), default);
            return true;
        });
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Anyone_lists_products_newest_first_one_page_at_a_time()
    {
        await Snapshot.MatchAsync(await app.Anonymous().GetAsync("/api/products?page=1&pageSize=3"));
    }

    [Fact]
    public async Task Anyone_lists_products_of_one_status()
    {
        await Snapshot.MatchAsync(await app.Anonymous().GetAsync("/api/products?status=DISCONTINUED"));
    }

    [Fact]
    public async Task Anyone_reads_the_popular_products_of_the_last_days()
    {
        await Snapshot.MatchAsync(await app.Anonymous().GetAsync("/api/products/popular?days=3&limit=5"));
    }

    [Fact]
    public async Task Popular_products_default_to_three_days_and_five_products()
    {
        var popular = await app.Anonymous().GetFromJsonAsync<Features.GetPopularProducts.PopularProducts>("/api/products/popular");

        Assert.Equal(3, popular!.Days);
        Assert.Equal([7L, 5L, 1L], popular.Items.Select(p => p.Units));
    }
}

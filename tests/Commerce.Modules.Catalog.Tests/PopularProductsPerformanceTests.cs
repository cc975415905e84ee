using System.Diagnostics;
using Commerce.Modules.Catalog.Features.GetPopularProducts;
using Xunit.Abstractions;

namespace Commerce.Modules.Catalog.Tests;

/// <summary>
/// Popular products over figures as a year of a busy shop leaves them: 1,000 products sold every day for 365 days
/// (365,000 daily rows), about 1,000,000 units in any 30-day window, i.e. a million paid order lines of one unit.
/// </summary>
public sealed class PopularProductsPerformanceTests(UncachedCatalogHost host, ITestOutputHelper output) : IClassFixture<UncachedCatalogHost>
{
    private const string SeedSql = """
        INSERT INTO catalog.products (name, description, price, stock, status, created_at, updated_at)
        SELECT 'Product ' || g, '', 1000 + g, 100, 'ON_SALE', now(), now() FROM generate_series(1, 1000) g;
        INSERT INTO catalog.product_sales_daily (day, product_id, units)
        SELECT @Today - d, p.id, 1 + (p.id * 7 + d * 13) % 66
        FROM catalog.products p, generate_series(0, 364) d;
        ANALYZE catalog.products;
        ANALYZE catalog.product_sales_daily;
        """;

    [Fact]
    public async Task Popular_products_over_a_million_paid_lines_answer_in_well_under_50_ms()
    {
        var today = DateOnly.FromDateTime(host.Clock.GetUtcNow().UtcDateTime);
        await host.Sql.ExecuteAsync(SeedSql, new { Today = today });
        var windowUnits = await host.Sql.ScalarAsync<long>(
            "SELECT sum(units) FROM catalog.product_sales_daily WHERE day > @Today - 30", new { Today = today });
        Assert.InRange(windowUnits, 950_000, 1_050_000);

        foreach (var (days, limit) in new[] { (30, 50), (3, 5) })
        {
            var plan = await host.Sql.QueryAsync<string>("EXPLAIN (ANALYZE, BUFFERS) " + GetPopularProductsHandler.Sql,
                new { From = today.AddDays(1 - days), To = today, Limit = limit });
            output.WriteLine($"days={days} limit={limit}:\n{string.Join('\n', plan)}\n");

            await host.SendAsync(new GetPopularProducts(days, limit));
            var timings = new List<double>();
            for (var i = 0; i < 20; i++)
            {
                var started = Stopwatch.GetTimestamp();
                var popular = await host.SendAsync(new GetPopularProducts(days, limit));
                timings.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Assert.Equal(limit, popular.Items.Count);
            }

            timings.Sort();
            output.WriteLine($"days={days} limit={limit}: median {timings[10]:0.0} ms, max {timings[^1]:0.0} ms over 20 queries through the mediator");
            Assert.True(timings[10] < 50, $"median {timings[10]:0.0} ms");
        }
    }
}

using System.Diagnostics;
using System.Text.Json;
using Commerce.Modules.Catalog.Features.GetPopularProducts;
using Xunit.Abstractions;

namespace Commerce.Modules.Catalog.Tests;

/// <summary>
/// Popular products over figures as a year of a busy shop leaves them: 1,000 products sold every day for 365 days
/// (365,000 daily rows), about 1,000,000 units in any 30-day window, i.e. a million paid order lines of one unit.
/// What is asserted is the work, which is deterministic: the query reads exactly the window's daily rows (days ×
/// products) through the primary key, however many order lines there were. Times are printed, not asserted (a
/// shared machine makes them noisy); the benchmark (BENCHMARKS.md) measures them.
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
    public async Task Popular_products_over_a_million_paid_lines_read_only_the_windows_daily_figures()
    {
        var today = DateOnly.FromDateTime(host.Clock.GetUtcNow().UtcDateTime);
        await host.Sql.ExecuteAsync(SeedSql, new { Today = today });
        var windowUnits = await host.Sql.ScalarAsync<long>(
            "SELECT sum(units) FROM catalog.product_sales_daily WHERE day > @Today - 30", new { Today = today });
        Assert.InRange(windowUnits, 950_000, 1_050_000);

        foreach (var (days, limit) in new[] { (30, 50), (3, 5) })
        {
            var parameters = new { From = today.AddDays(1 - days), To = today, Limit = limit };
            var plan = await host.Sql.QueryAsync<string>("EXPLAIN (ANALYZE, BUFFERS) " + GetPopularProductsHandler.Sql, parameters);
            output.WriteLine($"days={days} limit={limit}:\n{string.Join('\n', plan)}\n");
            var scans = DailyFigureScans(await host.Sql.ScalarAsync<string>("EXPLAIN (ANALYZE, FORMAT JSON) " + GetPopularProductsHandler.Sql, parameters));
            Assert.NotEmpty(scans);
            Assert.DoesNotContain(scans, scan => scan.Type == "Seq Scan");
            Assert.Equal(days * 1_000L, scans.Sum(scan => scan.Rows));

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
        }
    }

    /// <summary>The plan nodes that read catalog.product_sales_daily, with the rows they produced.</summary>
    private static List<(string Type, long Rows)> DailyFigureScans(string planJson)
    {
        var scans = new List<(string, long)>();
        void Walk(JsonElement node)
        {
            if (node.TryGetProperty("Relation Name", out var relation) && relation.GetString() == "product_sales_daily")
            {
                scans.Add((node.GetProperty("Node Type").GetString()!,
                    (long)(node.GetProperty("Actual Rows").GetDouble() * node.GetProperty("Actual Loops").GetDouble())));
            }

            if (node.TryGetProperty("Plans", out var children))
            {
                foreach (var child in children.EnumerateArray())
                {
                    Walk(child);
                }
            }
        }

        using var document = JsonDocument.Parse(planJson);
        Walk(document.RootElement[0].GetProperty("Plan"));
        return scans;
    }
}

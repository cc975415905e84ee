using Commerce.Modules.Catalog.Features.CreateProduct;
using Commerce.Modules.Catalog.Features.UpdateProduct;
using Commerce.Testing;

namespace Commerce.Modules.Catalog.Tests;

/// <summary>A host whose popular products are never cached, so a test sees each sale at once.</summary>
public sealed class UncachedCatalogHost : ModuleHost
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Commerce:Catalog:PopularCacheDuration"] = "00:00:00",
    };
}

internal static class TestProducts
{
    public static async Task<ProductResponse> CreateAsync(ModuleHost host, int stock = 10, long price = 1_000, string status = "ON_SALE", string name = "Product")
    {
        var product = await host.SendAsync(new CreateProduct(name, null, price, stock));
        return status == "ON_SALE" ? product : await host.SendAsync(new UpdateProduct(product.Id, Status: status));
    }

    /// <summary>PostgreSQL keeps microseconds; the clock has 100 ns ticks.</summary>
    public static DateTimeOffset TruncatedToMicroseconds(this DateTimeOffset time) => time.AddTicks(-(time.Ticks % 10));

    public static Task<int> StockAsync(Sql sql, long productId) =>
        sql.ScalarAsync<int>("SELECT stock FROM catalog.products WHERE id = @productId", new { productId });
}

using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Catalog.Features.RestockProduct;
using Commerce.Testing;
using FluentValidation;

namespace Commerce.Modules.Catalog.Tests;

public sealed class RestockProductTests(ModuleHost host) : IClassFixture<ModuleHost>
{
    [Fact]
    public async Task RestockProduct_adds_the_quantity_and_returns_the_new_stock()
    {
        var product = await host.Services.NewProductAsync(stock: 5);

        var restocked = await host.SendAsync(new RestockProduct(product.Id, 20));

        Assert.Equal(25, restocked.Stock);
        Assert.Equal(25, await host.Sql.StockAsync(product.Id));
    }

    [Fact]
    public async Task RestockProduct_works_on_a_discontinued_product()
    {
        var product = await host.Services.NewProductAsync(stock: 0, status: "DISCONTINUED");

        Assert.Equal(3, (await host.SendAsync(new RestockProduct(product.Id, 3))).Stock);
    }

    [Fact]
    public async Task RestockProduct_of_a_missing_product_is_PRODUCT_NOT_FOUND()
    {
        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new RestockProduct(123_456, 1)));

        Assert.Equal(("PRODUCT_NOT_FOUND", 404), (error.Code, error.Status));
    }

    [Fact]
    public async Task RestockProduct_past_the_stock_limit_is_STOCK_LIMIT_EXCEEDED_and_changes_nothing()
    {
        var product = await host.Services.NewProductAsync(stock: 0);
        await host.Sql.ExecuteAsync("UPDATE catalog.products SET stock = 999999999 WHERE id = @Id", new { product.Id });

        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new RestockProduct(product.Id, 2)));

        Assert.Equal(("STOCK_LIMIT_EXCEEDED", 409), (error.Code, error.Status));
        Assert.Equal((999_999_999, 1_000_000_000), ((int)error.Extensions["stock"]!, (int)error.Extensions["maxStock"]!));
        Assert.Equal(999_999_999, await host.Sql.StockAsync(product.Id));
        Assert.Equal(1_000_000_000, (await host.SendAsync(new RestockProduct(product.Id, 1))).Stock);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(1_000_001)]
    public async Task RestockProduct_quantity_outside_1_to_1000000_is_a_validation_error(int quantity)
    {
        var error = await Assert.ThrowsAsync<ValidationException>(() => host.SendAsync(new RestockProduct(1, quantity)));

        Assert.Equal("Quantity", Assert.Single(error.Errors).PropertyName);
    }

    [Fact]
    public async Task RestockProduct_with_the_same_idempotency_key_adds_once()
    {
        var admin = await TestMembers.InsertOneAsync(host.Sql, role: "admin");
        var product = await host.Services.NewProductAsync(stock: 0);

        await host.SendAsync(new RestockProduct(product.Id, 4, admin.Id, "restock-1"));
        var replay = await host.SendAsync(new RestockProduct(product.Id, 4, admin.Id, "restock-1"));

        Assert.Equal(4, replay.Stock);
        Assert.Equal(4, await host.Sql.StockAsync(product.Id));
    }

    [Fact]
    public async Task Fifty_concurrent_restocks_of_one_product_add_up_exactly()
    {
        var product = await host.Services.NewProductAsync(stock: 0);

        var results = await Concurrently.RunAsync(50, i => host.SendAsync(new RestockProduct(product.Id, i + 1)));

        var expected = Enumerable.Range(1, 50).Sum();
        Assert.Equal(expected, await host.Sql.StockAsync(product.Id));
        Assert.Equal(expected, results.Max(r => r.Stock));
        Assert.Equal(50, results.Select(r => r.Stock).Distinct().Count());
    }
}

using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Catalog.Features.GetProduct;
using Commerce.Modules.Catalog.Features.ListProducts;
using Commerce.Testing;
using FluentValidation;

namespace Commerce.Modules.Catalog.Tests;

/// <summary>Listing reads every product of the database, so this class has its own.</summary>
public sealed class ProductQueriesTests(ModuleHost host) : IClassFixture<ModuleHost>, IAsyncLifetime
{
    private readonly List<ProductResponse> _products = [];

    public async Task InitializeAsync()
    {
        if (await host.Sql.ScalarAsync<long>("SELECT count(*) FROM catalog.products") > 0)
        {
            _products.AddRange(await host.Sql.QueryAsync<ProductResponse>($"SELECT {Products.Columns} FROM catalog.products ORDER BY id"));
            return;
        }

        for (var i = 1; i <= 5; i++)
        {
            _products.Add(await host.Services.NewProductAsync(stock: i, name: $"Product {i}", status: i % 2 == 0 ? "DISCONTINUED" : "ON_SALE"));
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task GetProduct_returns_the_product()
    {
        Assert.Equal(_products[1], await host.SendAsync(new GetProduct(_products[1].Id)));
    }

    [Fact]
    public async Task GetProduct_of_a_missing_product_is_PRODUCT_NOT_FOUND_with_its_id()
    {
        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new GetProduct(-1)));

        Assert.Equal(("PRODUCT_NOT_FOUND", 404, -1L), (error.Code, error.Status, (long)error.Extensions["productId"]!));
    }

    [Fact]
    public async Task ListProducts_pages_newest_first_and_counts_every_page()
    {
        var first = await host.SendAsync(new ListProducts(null, 1, 2));
        var last = await host.SendAsync(new ListProducts(null, 3, 2));

        Assert.Equal(_products.OrderByDescending(p => p.Id).Take(2), first.Items);
        Assert.Equal([_products[0]], last.Items);
        Assert.Equal((5L, 1, 2), (first.TotalCount, first.Page, first.PageSize));
    }

    [Fact]
    public async Task ListProducts_filters_by_status()
    {
        var onSale = await host.SendAsync(new ListProducts("ON_SALE", 1, 100));
        var discontinued = await host.SendAsync(new ListProducts("DISCONTINUED", 1, 100));

        Assert.Equal(["Product 5", "Product 3", "Product 1"], onSale.Items.Select(p => p.Name));
        Assert.Equal(["Product 4", "Product 2"], discontinued.Items.Select(p => p.Name));
        Assert.Equal((3L, 2L), (onSale.TotalCount, discontinued.TotalCount));
    }

    [Fact]
    public async Task ListProducts_past_the_last_page_is_empty()
    {
        var page = await host.SendAsync(new ListProducts(null, 9, 20));

        Assert.Empty(page.Items);
        Assert.Equal(5, page.TotalCount);
    }

    [Theory]
    [InlineData("on_sale", 1, 20, "Status")]
    [InlineData("", 1, 20, "Status")]
    [InlineData(null, 0, 20, "page")]
    [InlineData(null, 1, 0, "pageSize")]
    [InlineData(null, 1, 101, "pageSize")]
    public async Task ListProducts_with_a_bad_filter_or_page_is_a_validation_error(string? status, int page, int pageSize, string field)
    {
        var error = await Assert.ThrowsAsync<ValidationException>(() => host.SendAsync(new ListProducts(status, page, pageSize)));

        Assert.Equal(field, Assert.Single(error.Errors).PropertyName);
    }
}

using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Catalog.Features.UpdateProduct;
using Commerce.Testing;
using FluentValidation;

namespace Commerce.Modules.Catalog.Tests;

public sealed class UpdateProductTests(ModuleHost host) : IClassFixture<ModuleHost>
{
    [Fact]
    public async Task UpdateProduct_changes_only_the_fields_it_is_given()
    {
        var product = await host.Services.NewProductAsync(stock: 7, price: 1_000, name: "Old name");
        host.Clock.Advance(TimeSpan.FromMinutes(1));

        var updated = await host.SendAsync(new UpdateProduct(product.Id, Price: 1_500));

        Assert.Equal(product with { Price = 1_500, UpdatedAt = host.Clock.GetUtcNow().TruncatedToMicroseconds() }, updated);
        Assert.Equal(updated, await host.SendAsync(new Features.GetProduct.GetProduct(product.Id)));
    }

    [Fact]
    public async Task UpdateProduct_changes_every_field_at_once_and_can_clear_the_description()
    {
        var product = await host.SendAsync(new Features.CreateProduct.CreateProduct("Before", "Some words", 1_000, 3));

        var updated = await host.SendAsync(new UpdateProduct(product.Id, " After ", "", 2_000, "DISCONTINUED"));

        Assert.Equal(("After", "", 2_000L, "DISCONTINUED", 3), (updated.Name, updated.Description, updated.Price, updated.Status, updated.Stock));
    }

    [Fact]
    public async Task UpdateProduct_puts_a_discontinued_product_back_on_sale()
    {
        var product = await host.Services.NewProductAsync(status: "DISCONTINUED");

        var updated = await host.SendAsync(new UpdateProduct(product.Id, Status: "ON_SALE"));

        Assert.Equal("ON_SALE", updated.Status);
    }

    [Fact]
    public async Task UpdateProduct_of_a_missing_product_is_PRODUCT_NOT_FOUND()
    {
        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new UpdateProduct(987_654, Price: 10)));

        Assert.Equal(("PRODUCT_NOT_FOUND", 404, 987_654L), (error.Code, error.Status, (long)error.Extensions["productId"]!));
    }

    [Fact]
    public async Task UpdateProduct_with_nothing_to_change_is_a_validation_error()
    {
        var error = await Assert.ThrowsAsync<ValidationException>(() => host.SendAsync(new UpdateProduct(1)));

        Assert.Equal("body", Assert.Single(error.Errors).PropertyName);
    }

    [Fact]
    public async Task UpdateProduct_reports_every_bad_field_at_once()
    {
        var error = await Assert.ThrowsAsync<ValidationException>(() =>
            host.SendAsync(new UpdateProduct(1, "", new string('d', 2_001), 0, "SOLD")));

        Assert.Equal(["Description", "Name", "Price", "Status"], error.Errors.Select(e => e.PropertyName).Distinct().Order());
    }
}

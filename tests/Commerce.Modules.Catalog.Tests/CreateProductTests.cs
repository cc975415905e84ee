using Commerce.Modules.Catalog.Features.CreateProduct;
using Commerce.Testing;
using FluentValidation;

namespace Commerce.Modules.Catalog.Tests;

public sealed class CreateProductTests(ModuleHost host) : IClassFixture<ModuleHost>
{
    [Fact]
    public async Task CreateProduct_stores_an_on_sale_product_with_trimmed_text_and_the_clock_time()
    {
        var product = await host.SendAsync(new CreateProduct("  Green tea  ", " Jeju, 100 g \n", 12_000, 30));

        Assert.Equal(("Green tea", "Jeju, 100 g", 12_000L, 30, "ON_SALE"), (product.Name, product.Description, product.Price, product.Stock, product.Status));
        Assert.Equal(host.Clock.GetUtcNow().TruncatedToMicroseconds(), product.CreatedAt);
        Assert.Equal(product.CreatedAt, product.UpdatedAt);
        var row = await host.Sql.SingleAsync<(string Name, string Description, long Price, int Stock, string Status)>(
            "SELECT name, description, price, stock, status FROM catalog.products WHERE id = @Id", new { product.Id });
        Assert.Equal(("Green tea", "Jeju, 100 g", 12_000L, 30, "ON_SALE"), row);
    }

    [Fact]
    public async Task CreateProduct_without_description_stores_an_empty_one()
    {
        var product = await host.SendAsync(new CreateProduct("Mug", null, 8_000, 0));

        Assert.Equal(("", 0), (product.Description, product.Stock));
    }

    [Fact]
    public async Task CreateProduct_accepts_the_limits_themselves()
    {
        var product = await host.SendAsync(new CreateProduct(new string('n', 200), new string('d', 2_000), 100_000_000, 1_000_000));

        Assert.Equal((200, 2_000, 100_000_000L, 1_000_000), (product.Name.Length, product.Description.Length, product.Price, product.Stock));
        Assert.Equal(1, (await host.SendAsync(new CreateProduct("Cheapest", null, 1, 0))).Price);
    }

    [Fact]
    public async Task CreateProduct_with_the_same_idempotency_key_creates_one_product()
    {
        var admin = await TestMembers.InsertOneAsync(host.Sql, role: "admin");

        var first = await host.SendAsync(new CreateProduct("Once", null, 500, 1, admin.Id, "create-once"));
        var again = await host.SendAsync(new CreateProduct("Once", null, 500, 1, admin.Id, "create-once"));

        Assert.Equal(first, again);
        Assert.Equal(1, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM catalog.products WHERE name = 'Once'"));
    }

    public static TheoryData<string, string?, long, int, string> InvalidProducts => new()
    {
        { "", null, 1_000, 0, "Name" },
        { "   ", null, 1_000, 0, "Name" },
        { new string('n', 201), null, 1_000, 0, "Name" },
        { "Tab\there", null, 1_000, 0, "Name" },
        { "Nul\0", null, 1_000, 0, "Name" },
        { "Ok", new string('d', 2_001), 1_000, 0, "Description" },
        { "Ok", "Bell\a", 1_000, 0, "Description" },
        { "Ok", null, 0, 0, "Price" },
        { "Ok", null, -1, 0, "Price" },
        { "Ok", null, 100_000_001, 0, "Price" },
        { "Ok", null, 1_000, -1, "Stock" },
        { "Ok", null, 1_000, 1_000_001, "Stock" },
    };

    [Theory]
    [MemberData(nameof(InvalidProducts))]
    public async Task CreateProduct_with_a_field_out_of_shape_is_a_validation_error_and_stores_nothing(string name, string? description, long price, int stock, string field)
    {
        var before = await host.Sql.ScalarAsync<long>("SELECT count(*) FROM catalog.products");

        var error = await Assert.ThrowsAsync<ValidationException>(() => host.SendAsync(new CreateProduct(name, description, price, stock)));

        Assert.Equal(field, Assert.Single(error.Errors.Select(e => e.PropertyName).Distinct()));
        Assert.Equal(before, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM catalog.products"));
    }

    [Fact]
    public async Task CreateProduct_with_a_lone_surrogate_is_a_validation_error_rather_than_a_database_failure()
    {
        // Not theory data: xunit's serialisation of test cases would replace the lone surrogate with U+FFFD.
        var error = await Assert.ThrowsAsync<ValidationException>(() => host.SendAsync(new CreateProduct("Broken \ud800 surrogate", "Also \udc00", 1_000, 0)));

        Assert.Equal(["Description", "Name"], error.Errors.Select(e => e.PropertyName).Order());
    }

    [Fact]
    public async Task CreateProduct_description_may_hold_line_breaks_and_tabs()
    {
        var product = await host.SendAsync(new CreateProduct("Notebook", "Lined\r\n\tA5", 3_000, 1));

        Assert.Equal("Lined\r\n\tA5", product.Description);
    }
}

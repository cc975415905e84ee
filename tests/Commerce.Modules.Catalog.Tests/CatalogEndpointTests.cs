using System.Net;
using System.Net.Http.Json;
using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Catalog.Contracts;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Commerce.Modules.Catalog.Tests;

public sealed class CatalogEndpointTests(CommerceApp app, ITestOutputHelper output) : IClassFixture<CommerceApp>
{
    [Fact]
    public async Task Admin_creates_a_product_with_201_and_its_location()
    {
        var admin = await app.AdminAsync();

        var response = await admin.PostAsJsonAsync("/api/admin/products", new { name = "Green tea", description = "Jeju, 100 g", price = 12_000, stock = 30 });

        await Snapshot.MatchAsync(response);
        var product = await response.Content.ReadFromJsonAsync<ProductResponse>();
        Assert.Equal($"/api/products/{product!.Id}", response.Headers.Location?.ToString());
        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().GetAsync(response.Headers.Location)).StatusCode);
    }

    [Fact]
    public async Task Create_product_with_bad_fields_is_400_with_every_field_error()
    {
        var admin = await app.AdminAsync();

        var response = await admin.PostAsJsonAsync("/api/admin/products", new { name = " ", description = "Bell\a", price = 0, stock = -1 });

        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Create_product_without_a_name_is_400_MALFORMED_REQUEST()
    {
        var admin = await app.AdminAsync();

        var response = await admin.PostAsJsonAsync("/api/admin/products", new { price = 1_000 });

        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Create_product_anonymously_is_401()
    {
        var response = await app.Anonymous().PostAsJsonAsync("/api/admin/products", new { name = "Tea", price = 1_000 });

        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Create_product_as_a_member_is_403_FORBIDDEN()
    {
        var member = app.ClientFor(await app.NewMemberAsync());

        var response = await member.PostAsJsonAsync("/api/admin/products", new { name = "Tea", price = 1_000 });

        await Snapshot.MatchAsync(response);
    }

    public static TheoryData<string, string> AdminEndpoints => new()
    {
        { "POST", "/api/admin/products" },
        { "PATCH", "/api/admin/products/1" },
        { "POST", "/api/admin/products/1/restock" },
    };

    [Theory]
    [MemberData(nameof(AdminEndpoints))]
    public async Task Admin_endpoints_refuse_anonymous_callers_with_401_and_members_with_403(string method, string path)
    {
        var member = app.ClientFor(await app.NewMemberAsync());
        var body = new { name = "Tea", price = 1_000, quantity = 1 };

        var anonymous = await app.Anonymous().SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(body) });
        var forbidden = await member.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(body) });

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Contains("\"FORBIDDEN\"", await forbidden.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Admin_changes_a_product_with_a_partial_update()
    {
        var admin = await app.AdminAsync();
        var product = await CreateAsync(admin, stock: 4);
        app.Clock.Advance(TimeSpan.FromMinutes(1));

        var response = await admin.PatchAsJsonAsync($"/api/admin/products/{product.Id}", new { price = 9_900, status = "DISCONTINUED" });

        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Changing_a_missing_product_is_404_PRODUCT_NOT_FOUND()
    {
        var response = await (await app.AdminAsync()).PatchAsJsonAsync("/api/admin/products/999999", new { price = 9_900 });

        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Changing_a_product_with_nothing_or_bad_values_is_400()
    {
        var admin = await app.AdminAsync();

        var empty = await admin.PatchAsJsonAsync("/api/admin/products/1", new { });
        var bad = await admin.PatchAsJsonAsync("/api/admin/products/1", new { name = "", price = 100_000_001, status = "SOLD_OUT" });

        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Contains("\"body\"", await empty.Content.ReadAsStringAsync());
        await Snapshot.MatchAsync(bad);
    }

    [Fact]
    public async Task Admin_restocks_a_product_and_gets_the_new_stock()
    {
        var admin = await app.AdminAsync();
        var product = await CreateAsync(admin, stock: 4);
        app.Clock.Advance(TimeSpan.FromMinutes(1));

        var response = await admin.PostAsJsonAsync($"/api/admin/products/{product.Id}/restock", new { quantity = 6 });

        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Restocking_a_missing_product_is_404_PRODUCT_NOT_FOUND()
    {
        var response = await (await app.AdminAsync()).PostAsJsonAsync("/api/admin/products/999999/restock", new { quantity = 1 });

        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Restocking_zero_is_400()
    {
        var response = await (await app.AdminAsync()).PostAsJsonAsync("/api/admin/products/1/restock", new { quantity = 0 });

        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Restocking_past_the_stock_limit_is_409_STOCK_LIMIT_EXCEEDED()
    {
        var admin = await app.AdminAsync();
        var product = await CreateAsync(admin, stock: 0);
        await app.Sql.ExecuteAsync("UPDATE catalog.products SET stock = 999500000 WHERE id = @Id", new { product.Id });

        var response = await admin.PostAsJsonAsync($"/api/admin/products/{product.Id}/restock", new { quantity = 1_000_000 });

        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Restocking_with_an_idempotency_key_twice_adds_once()
    {
        var admin = await app.AdminAsync();
        var product = await CreateAsync(admin, stock: 0);

        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/admin/products/{product.Id}/restock") { Content = JsonContent.Create(new { quantity = 5 }) };
            request.Headers.Add("Idempotency-Key", "restock-once");
            Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(request)).StatusCode);
        }

        Assert.Equal(5, await app.Sql.StockAsync(product.Id));
    }

    [Fact]
    public async Task Anyone_reads_a_product()
    {
        var product = await CreateAsync(await app.AdminAsync(), stock: 2);

        await Snapshot.MatchAsync(await app.Anonymous().GetAsync($"/api/products/{product.Id}"));
    }

    [Fact]
    public async Task Reading_a_missing_product_is_404_PRODUCT_NOT_FOUND()
    {
        await Snapshot.MatchAsync(await app.Anonymous().GetAsync("/api/products/999999"));
    }

    [Fact]
    public async Task Listing_with_an_unknown_status_or_page_size_is_400()
    {
        await Snapshot.MatchAsync(await app.Anonymous().GetAsync("/api/products?status=SOLD_OUT&pageSize=500"));
    }

    [Fact]
    public async Task Popular_products_outside_the_ranges_is_400()
    {
        await Snapshot.MatchAsync(await app.Anonymous().GetAsync("/api/products/popular?days=31&limit=0"));
    }

    [Fact]
    public async Task Popular_products_with_a_non_number_is_400_MALFORMED_REQUEST()
    {
        await Snapshot.MatchAsync(await app.Anonymous().GetAsync("/api/products/popular?days=three"));
    }

    [Fact]
    public async Task Restocks_over_HTTP_racing_reserves_keep_the_stock_equal_to_the_arithmetic()
    {
        var admin = await app.AdminAsync();
        var product = await CreateAsync(admin, stock: 10);

        var results = await Concurrently.RunAsync(100, async i =>
        {
            if (i % 5 == 0)
            {
                var response = await admin.PostAsJsonAsync($"/api/admin/products/{product.Id}/restock", new { quantity = 3 });
                return (Status: (int)response.StatusCode, Delta: response.IsSuccessStatusCode ? 3 : 0, Outcome: "RESTOCK");
            }

            try
            {
                var reserved = await app.Services.InTransactionAsync(sp =>
                    sp.GetRequiredService<IProductStock>().LockAndReserveAsync([new StockLine(product.Id, 2)], default));
                Assert.True(reserved[0].Stock >= 0);
                return (Status: 200, Delta: -2, Outcome: "RESERVED");
            }
            catch (AppException e)
            {
                return (Status: e.Status, Delta: 0, Outcome: e.Code);
            }
        });

        Assert.All(results.Where(r => r.Outcome == "RESTOCK"), r => Assert.Equal(200, r.Status));
        Assert.All(results, r => Assert.True(r.Outcome is "RESTOCK" or "RESERVED" or "OUT_OF_STOCK", r.Outcome));
        var stock = await app.Sql.StockAsync(product.Id);
        output.WriteLine($"20 HTTP restocks of 3 racing 80 reserves of 2 from 10: {results.Count(r => r.Outcome == "RESERVED")} reserved, " +
                         $"{results.Count(r => r.Outcome == "OUT_OF_STOCK")} OUT_OF_STOCK, final stock {stock}");
        Assert.Equal(10 + results.Sum(r => r.Delta), stock);
        Assert.True(stock >= 0);
    }

    private static async Task<ProductResponse> CreateAsync(HttpClient admin, int stock)
    {
        var response = await admin.PostAsJsonAsync("/api/admin/products", new { name = "Tea", price = 1_000, stock });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<ProductResponse>())!;
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Commerce.Host.OpenApi;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Host.Tests;

/// <summary>The OpenAPI document as a client generator reads it: names, codes, enums, security, and how it is served.</summary>
public sealed class OpenApiDocumentTests(CommerceApp app) : IClassFixture<CommerceApp>
{
    private static readonly string[] Assemblies =
        ["Commerce.BuildingBlocks", "Commerce.Host", "Commerce.Modules.Members", "Commerce.Modules.Points", "Commerce.Modules.Catalog",
         "Commerce.Modules.Coupons", "Commerce.Modules.Orders"];

    private async Task<JsonObject> DocumentAsync() => (await (await app.Anonymous().GetAsync("/openapi/v1.json")).JsonAsync()).AsObject();

    private static IEnumerable<(string Path, string Method, JsonObject Operation)> Operations(JsonObject document) =>
        document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(o => (p.Key, o.Key, o.Value!.AsObject())));

    [Fact]
    public async Task Every_operation_has_a_unique_operationId_named_after_its_feature()
    {
        var ids = Operations(await DocumentAsync()).Select(o => o.Operation["operationId"]?.GetValue<string>()).ToList();

        Assert.All(ids, id => Assert.Matches("^[A-Z][A-Za-z]+$", id ?? ""));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Superset(new HashSet<string?> { "SignUp", "Login", "RefreshToken", "PlaceOrder", "PayOrder", "Checkout", "IssueCoupon", "ChargePoints" }, ids.ToHashSet());
    }

    [Fact]
    public async Task Every_error_code_the_source_raises_is_in_the_documents_code_enums()
    {
        var document = await DocumentAsync();
        var documented = document["components"]!["schemas"]!.AsObject()
            .Where(s => s.Key.EndsWith("Problem", StringComparison.Ordinal))
            .SelectMany(s => s.Value!["properties"]!["code"]!["enum"]!.AsArray().Select(c => c!.GetValue<string>()))
            .ToHashSet();
        // Every constant of the classes that hold error codes, whatever their visibility.
        var raised = Assemblies.Select(Assembly.Load).SelectMany(a => a.GetTypes())
            .Where(t => t.Name.EndsWith("Errors", StringComparison.Ordinal) || t.Name is "ErrorCodes")
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            // A 500 is a bug, not part of the contract; 405 answers a method no operation has.
            .Except(["INTERNAL_ERROR", "METHOD_NOT_ALLOWED"])
            .ToList();

        Assert.True(raised.Count > 30, $"only {raised.Count} codes found");
        var missing = raised.Where(c => !documented.Contains(c)).ToList();
        Assert.True(missing.Count == 0, $"raised but not documented: {string.Join(", ", missing)}");
    }

    [Theory]
    [InlineData("Commerce.Modules.Orders.OrderStatus", "OrderStatuses")]
    [InlineData("Commerce.Modules.Orders.OrderFlow", "OrderFlows")]
    [InlineData("Commerce.Modules.Orders.PaymentStatus", "PaymentStatuses")]
    [InlineData("Commerce.Modules.Orders.PaymentMethod", "PaymentMethods")]
    [InlineData("Commerce.Modules.Catalog.Contracts.ProductStatus", "ProductStatuses")]
    [InlineData("Commerce.Modules.Members.MemberStatus", "MemberStatuses")]
    [InlineData("Commerce.BuildingBlocks.Security.Roles", "MemberRoles")]
    [InlineData("Commerce.Modules.Points.LedgerType", "LedgerTypes")]
    public void The_documented_enums_are_the_sources_constants(string type, string vocabulary)
    {
        var constants = Assemblies.Select(Assembly.Load).Select(a => a.GetType(type)).Single(t => t is not null)!
            .GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!);
        var documented = (string[])typeof(ApiVocabulary).GetField(vocabulary, BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

        Assert.Equal(constants.Order(), documented.Order());
    }

    [Fact]
    public async Task Public_operations_say_so_and_member_operations_name_the_bearer_scheme()
    {
        var operations = Operations(await DocumentAsync()).ToList();

        var open = operations.Where(o => o.Operation["security"]!.AsArray().Count == 0).Select(o => o.Operation["operationId"]!.GetValue<string>());
        Assert.Equal(["CreateCart", "GetCampaign", "GetGuestCart", "GetPopularProducts", "GetProduct", "ListOpenCampaigns", "ListProducts", "Login", "RefreshToken",
            "RemoveGuestCartLine", "SetGuestCartLine", "SignUp"], open.Order());
        Assert.All(operations.Where(o => o.Operation["security"]!.AsArray().Count > 0),
            o => Assert.NotNull(o.Operation["security"]!.AsArray().Single()!["Bearer"]));
    }

    [Fact]
    public async Task Every_operation_documents_503_and_every_error_with_a_problem_family()
    {
        var document = await DocumentAsync();
        var responses = document["components"]!["responses"]!.AsObject();
        foreach (var (path, method, operation) in Operations(document))
        {
            Assert.False(string.IsNullOrWhiteSpace(operation["description"]?.GetValue<string>()), $"{method} {path} has no description");
            Assert.NotNull(operation["responses"]!["503"]);
            foreach (var (status, response) in operation["responses"]!.AsObject().Where(r => r.Key.StartsWith('4') || r.Key.StartsWith('5')))
            {
                var reference = response!["$ref"]?.GetValue<string>() ?? "";
                Assert.StartsWith("#/components/responses/", reference);
                var family = responses[reference.Split('/')[^1]]!;
                var schema = document["components"]!["schemas"]![family["content"]!["application/problem+json"]!["schema"]!["$ref"]!.GetValue<string>().Split('/')[^1]]!;
                Assert.Equal(int.Parse(status), schema["properties"]!["status"]!["enum"]![0]!.GetValue<int>());
            }
        }
    }

    [Fact]
    public async Task The_document_is_built_once_and_revalidated_with_its_ETag()
    {
        var first = await app.Anonymous().GetAsync("/openapi/v1.json");
        var second = await app.Anonymous().GetAsync("/openapi/v1.json");
        var etag = first.Headers.ETag!;
        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
        conditional.Headers.IfNoneMatch.Add(etag);
        var notModified = await app.Anonymous().SendAsync(conditional);

        Assert.Equal(etag, second.Headers.ETag);
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        Assert.True(first.Headers.CacheControl!.NoCache);
        // The same object each time: generated once.
        var cache = app.Services.GetRequiredService<OpenApiDocumentCache>();
        Assert.Same(await cache.GetAsync(), await cache.GetAsync());
    }

    /// <summary>./build.sh test sets COMMERCE_OPENAPI_EXPORT and lints the file this writes (tools/openapi-lint).</summary>
    [Fact]
    public async Task The_document_is_exported_for_the_linters()
    {
        var path = Environment.GetEnvironmentVariable("COMMERCE_OPENAPI_EXPORT") is { Length: > 0 } export
            ? export
            : Path.Combine(Path.GetTempPath(), $"commerce-openapi-{Guid.NewGuid():N}.json");
        var served = await app.Anonymous().GetByteArrayAsync("/openapi/v1.json");

        await File.WriteAllBytesAsync(path, served);

        Assert.Equal(served, await File.ReadAllBytesAsync(path));
        Assert.Equal("3.1.1", JsonNode.Parse(served)!["openapi"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_contract_check_refuses_an_undocumented_status_a_missing_code_and_an_unknown_field()
    {
        await app.Anonymous().GetAsync("/api/products");
        var contract = ContractCheck.Contract;
        static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

        Assert.Empty(contract.Check("GET", "/api/products/7", 404, "application/problem+json",
            Json("""{"status":404,"code":"PRODUCT_NOT_FOUND","traceId":"t","productId":7}""")));
        Assert.Single(contract.Check("GET", "/api/products/7", 418, "application/problem+json", Json("""{"status":418,"code":"X","traceId":"t"}""")));
        Assert.Single(contract.Check("GET", "/api/products/7", 404, "application/problem+json", Json("""{"status":404,"traceId":"t"}""")));
        Assert.Single(contract.Check("GET", "/api/products/7", 404, "application/problem+json",
            Json("""{"status":404,"code":"PRODUCT_NOT_FOUND","traceId":"t","secret":1}""")));
        Assert.Single(contract.Check("GET", "/api/products/7", 404, "text/plain", Json("nope")));
        Assert.Single(contract.Check("GET", "/api/orders/7", 200, "application/json", Json("""{"id":7,"status":"SHIPPED"}""")));
        Assert.Null(contract.OperationFor("DELETE", "/api/products/7"));
        Assert.Equal("GET /api/products/popular", contract.OperationFor("GET", "/api/products/popular"));
    }
}

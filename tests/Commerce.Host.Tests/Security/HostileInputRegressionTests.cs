using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Commerce.Testing;

namespace Commerce.Host.Tests.Security;

/// <summary>What the hostile-input run found, pinned one by one.</summary>
public sealed class HostileInputRegressionTests(CommerceApp app) : IClassFixture<CommerceApp>
{
    private static HttpRequestMessage Charge(string contentType) => new(HttpMethod.Post, "/api/me/points/charge")
    {
        Content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"amount\": 1000}")) { Headers = { { "Content-Type", contentType } } },
    };

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.JsonAsync();
        Assert.Equal(code, problem["code"]!.GetValue<string>());
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("application/json; charset=bogus")]
    [InlineData("application/json; charset=utf-7")]
    [InlineData("application/json; charset=utf-16")]
    [InlineData("application/json; charset=iso-8859-1")]
    public async Task A_json_body_in_another_charset_than_utf8_is_415_not_500(string contentType)
    {
        var client = app.ClientFor(await app.NewMemberAsync());

        var response = await client.SendAsync(Charge(contentType));

        await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE");
    }

    [Theory]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("application/json; charset=\"UTF-8\"")]
    public async Task A_utf8_charset_quoted_or_not_is_read(string contentType)
    {
        var client = app.ClientFor(await app.NewMemberAsync());

        var response = await client.SendAsync(Charge(contentType));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task An_anonymous_request_with_a_bad_charset_is_401_first()
    {
        var response = await app.Anonymous().SendAsync(Charge("application/json; charset=bogus"));

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "UNAUTHENTICATED");
    }

    [Theory]
    [InlineData("application/xml")]
    [InlineData("text/html")]
    [InlineData("image/png, text/plain;q=0.5")]
    public async Task An_error_for_a_client_that_accepts_no_json_is_still_problem_details(string accept)
    {
        var client = app.ClientFor(await app.NewMemberAsync());
        client.DefaultRequestHeaders.Accept.ParseAdd(accept);

        await AssertProblemAsync(await client.PostAsync("/api/coupons/999999/issue", null), HttpStatusCode.NotFound, "CAMPAIGN_NOT_FOUND");
        await AssertProblemAsync(await client.GetAsync("/api/nothing-here"), HttpStatusCode.NotFound, "NOT_FOUND");
        await AssertProblemAsync(await client.DeleteAsync("/api/me"), HttpStatusCode.MethodNotAllowed, "METHOD_NOT_ALLOWED");
    }

    [Theory]
    [InlineData("/openapi/v2.json")]
    [InlineData("/openapi/null.json")]
    [InlineData("/openapi/..%2Fv1.json")]
    public async Task An_unknown_openapi_document_is_a_404_problem(string path)
    {
        await AssertProblemAsync(await app.Anonymous().GetAsync(path), HttpStatusCode.NotFound, "NOT_FOUND");
        Assert.Equal(HttpStatusCode.OK, (await app.Anonymous().GetAsync("/openapi/v1.json")).StatusCode);
    }

    [Fact]
    public async Task A_NUL_in_the_path_is_refused_by_Kestrel_with_a_bare_400_before_any_application_code()
    {
        var response = await app.ClientFor(await app.NewMemberAsync()).GetAsync("/api/orders/1%00");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Null(response.Content.Headers.ContentType);
    }

    [Theory]
    [InlineData("/api/orders")]
    [InlineData("/api/orders/checkout")]
    public async Task A_null_order_line_is_400_not_500(string url)
    {
        var product = await app.Services.NewProductAsync(1_000, 10);
        var client = app.ClientFor(await app.NewMemberAsync());

        var response = await client.PostRawAsync(url, $$"""{"items":[{"productId":{{product.Id}},"quantity":1},null],"couponIds":[]}""");

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "VALIDATION_FAILED");
        Assert.Equal("An order line must not be null.", (await response.JsonAsync())["errors"]!["items[1]"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task An_accept_header_that_names_json_keeps_the_usual_problem_details()
    {
        var client = app.Anonymous();
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        await AssertProblemAsync(await client.GetAsync("/api/me"), HttpStatusCode.Unauthorized, "UNAUTHENTICATED");
    }
}

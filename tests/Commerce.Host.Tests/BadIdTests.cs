using System.Net;
using Commerce.Testing;

namespace Commerce.Host.Tests;

/// <summary>
/// One rule for ids on every endpoint: malformed (not an integer, past long) is 400 MALFORMED_REQUEST and zero or
/// negative is 400 VALIDATION_FAILED, both naming the parameter in <c>errors</c>; a well-formed id that is not there
/// (or not the caller's) is 404 with the resource's own code.
/// </summary>
public sealed class BadIdTests(CommerceApp app) : IClassFixture<CommerceApp>
{
    public static TheoryData<string, string, string, string> Endpoints => new()
    {
        // method, url with {id}, parameter, code of a missing one
        { "GET", "/api/products/{id}", "productId", "PRODUCT_NOT_FOUND" },
        { "GET", "/api/coupons/{id}", "campaignId", "CAMPAIGN_NOT_FOUND" },
        { "POST", "/api/coupons/{id}/issue", "campaignId", "CAMPAIGN_NOT_FOUND" },
        { "GET", "/api/orders/{id}", "orderId", "ORDER_NOT_FOUND" },
        { "POST", "/api/orders/{id}/payment", "orderId", "ORDER_NOT_FOUND" },
        { "POST", "/api/orders/{id}/cancel", "orderId", "ORDER_NOT_FOUND" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task A_bad_id_is_400_naming_the_parameter_and_a_missing_one_is_404(string method, string url, string parameter, string missingCode)
    {
        var client = app.ClientFor(await app.NewMemberAsync());

        foreach (var (id, status, code) in new[]
                 {
                     ("abc", HttpStatusCode.BadRequest, "MALFORMED_REQUEST"),
                     ("99999999999999999999", HttpStatusCode.BadRequest, "MALFORMED_REQUEST"),
                     ("1.5", HttpStatusCode.BadRequest, "MALFORMED_REQUEST"),
                     ("0", HttpStatusCode.BadRequest, "VALIDATION_FAILED"),
                     ("-1", HttpStatusCode.BadRequest, "VALIDATION_FAILED"),
                     ("987654321", HttpStatusCode.NotFound, missingCode),
                 })
        {
            using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url.Replace("{id}", id)));
            Assert.True(status == response.StatusCode, $"{method} {url} with {id}: {(int)response.StatusCode}");
            var problem = await response.JsonAsync();
            Assert.Equal(code, problem["code"]!.GetValue<string>());
            if (status == HttpStatusCode.BadRequest)
            {
                Assert.NotNull(problem["errors"]![parameter]);
            }
        }
    }

    [Fact]
    public async Task An_admin_endpoint_follows_the_same_rule_and_a_malformed_guid_is_400()
    {
        var admin = await app.AdminAsync();

        var negative = await admin.PutAsync("/api/admin/members/-5/status", System.Net.Http.Json.JsonContent.Create(new { status = "DISABLED" }));
        var guid = await admin.PostAsync("/api/admin/outbox/dead-letters/not-a-guid/requeue", null);

        Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
        Assert.NotNull((await negative.JsonAsync())["errors"]!["memberId"]);
        Assert.Equal(HttpStatusCode.BadRequest, guid.StatusCode);
        Assert.NotNull((await guid.JsonAsync())["errors"]!["id"]);
    }
}

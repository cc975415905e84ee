using System.Net;
using System.Text.Json.Nodes;
using Commerce.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Host.Tests;

public sealed class ApiSurfaceTests(CommerceApp app) : IClassFixture<CommerceApp>
{
    [Fact]
    public async Task The_OpenAPI_document_describes_every_api_endpoint_with_its_errors()
    {
        var document = await (await app.Anonymous().GetAsync("/openapi/v1.json")).JsonAsync();
        var paths = document["paths"]!.AsObject();
        var endpoints = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/api/", StringComparison.Ordinal))
            .ToList();

        Assert.NotEmpty(endpoints);
        foreach (var endpoint in endpoints)
        {
            var path = System.Text.RegularExpressions.Regex.Replace(endpoint.RoutePattern.RawText!, ":[a-z]+}", "}");
            var method = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Single().ToLowerInvariant();
            var operation = paths[path]?[method];
            Assert.True(operation is not null, $"{method} {path} is not documented");
            Assert.False(string.IsNullOrWhiteSpace(operation!["summary"]?.GetValue<string>()), $"{method} {path} has no summary");
            Assert.True(operation["responses"]!.AsObject().Count >= 2, $"{method} {path} documents no error response");
        }
    }

    [Fact]
    public async Task The_OpenAPI_document_shows_bearer_auth_and_the_idempotency_key_header()
    {
        var document = await (await app.Anonymous().GetAsync("/openapi/v1.json")).JsonAsync();

        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["Bearer"]!["scheme"]!.GetValue<string>());
        var charge = document["paths"]!["/api/me/points/charge"]!["post"]!;
        Assert.Contains(charge["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "Idempotency-Key" && p["in"]!.GetValue<string>() == "header");
        Assert.NotNull(charge["security"]);
        Assert.Empty(document["paths"]!["/api/members"]!["post"]!["security"]!.AsArray());
    }

    [Fact]
    public async Task Swagger_UI_is_served()
    {
        var response = await app.Anonymous().GetAsync("/swagger/index.html");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("swagger", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Health_live_and_ready_answer_with_the_database_check()
    {
        var live = await app.Anonymous().GetAsync("/health/live");
        var ready = await app.Anonymous().GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var report = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
        Assert.Equal("Healthy", report["checks"]!["database"]!["status"]!.GetValue<string>());
    }
}

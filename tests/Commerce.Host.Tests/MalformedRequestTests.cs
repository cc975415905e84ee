using System.Net;
using Commerce.Testing;

namespace Commerce.Host.Tests;

/// <summary>Bad input is the client's problem to fix: always 400 problem details with a code, never a 500.</summary>
public sealed class MalformedRequestTests(CommerceApp app) : IClassFixture<CommerceApp>
{
    public static TheoryData<string, string> Bodies => new()
    {
        { "malformed_json", "{\"amount\": " },
        { "not_json", "amount=5" },
        { "wrong_type", "{\"amount\": \"five\"}" },
        { "fraction", "{\"amount\": 1.5}" },
        { "past_long", "{\"amount\": 99999999999999999999999}" },
        { "null_value", "{\"amount\": null}" },
        { "missing_field", "{}" },
        { "extra_field", "{\"amount\": 5, \"bonus\": 100}" },
        { "array", "[1, 2]" },
        { "empty", "" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task A_malformed_charge_body_is_400_problem_details(string name, string body)
    {
        var response = await app.ClientFor(await app.NewMemberAsync()).PostRawAsync("/api/me/points/charge", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.JsonAsync();
        Assert.NotNull(problem["code"]);
        Assert.NotNull(problem["traceId"]);
        await Snapshot.MatchAsync(response, test: $"Charge_body_{name}");
    }

    [Fact]
    public async Task Sign_up_with_missing_fields_names_each_of_them()
    {
        var response = await app.Anonymous().PostRawAsync("/api/members", "{\"name\": \"x\"}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    // A NUL is valid JSON but cannot be stored: validation names the field. A lone surrogate is not valid JSON text.
    [Theory]
    [InlineData("{\"name\": \"a\\u0000b\", \"email\": \"nul@test.local\", \"password\": \"Secret-pass-1\"}", "VALIDATION_FAILED")]
    [InlineData("{\"name\": \"a\\ud800b\", \"email\": \"surrogate@test.local\", \"password\": \"Secret-pass-1\"}", "MALFORMED_REQUEST")]
    public async Task Text_that_cannot_be_stored_is_400_not_500(string body, string code)
    {
        var response = await app.Anonymous().PostRawAsync("/api/members", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, (await response.JsonAsync())["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_413()
    {
        var response = await app.Anonymous().PostRawAsync("/api/members", "{\"name\": \"" + new string('x', 70_000) + "\"}");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task A_body_that_is_not_json_content_is_415()
    {
        var response = await app.Anonymous().PostRawAsync("/api/members", "name=x", "application/x-www-form-urlencoded");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task An_unknown_route_is_404_problem_details()
    {
        var response = await app.Anonymous().GetAsync("/api/nothing-here");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task A_wrong_method_is_405_problem_details()
    {
        var response = await app.Anonymous().DeleteAsync("/api/members");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }
}

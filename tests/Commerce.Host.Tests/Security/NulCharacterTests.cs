using System.Net;
using Commerce.Testing;

namespace Commerce.Host.Tests.Security;

/// <summary>
/// A NUL character in a request string is refused before any SQL runs. It once reached PostgreSQL, which refused it
/// while binding; on the execution Npgsql auto-prepares (the fifth of a statement on a connection) that left the
/// connection's prepared statement broken, and a later login on that connection answered 500 (found by the
/// hostile-input run, npgsql/npgsql#6391).
/// </summary>
public sealed class NulCharacterTests(CommerceApp app) : IClassFixture<CommerceApp>
{
    [Fact]
    public async Task Logins_with_a_nul_character_are_400_and_leave_the_pooled_connections_usable()
    {
        var member = await app.NewMemberAsync();
        using var client = app.Anonymous();

        // One at a time, so they share few pooled connections: each of those runs the login's statements more than
        // the five times after which Npgsql prepares them.
        for (var i = 0; i < 40; i++)
        {
            var refused = await client.PostJsonAsync("/api/auth/token", new { email = $"nul{i}\u0000@test.local", password = member.Password });

            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var problem = await refused.JsonAsync();
            Assert.Equal("VALIDATION_FAILED", problem["code"]!.GetValue<string>());
            Assert.NotNull(problem["errors"]!["email"]);
        }

        for (var i = 0; i < 20; i++)
        {
            var response = await client.PostJsonAsync("/api/auth/token", new { email = member.Email, password = member.Password });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task A_nul_character_in_an_admin_field_is_400_naming_it()
    {
        var admin = await app.AdminAsync();

        var response = await admin.PostJsonAsync("/api/admin/products", new { name = "Mug", description = "A\u0000mug", price = 1000, stock = 5 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.JsonAsync();
        Assert.Equal("VALIDATION_FAILED", problem["code"]!.GetValue<string>());
        Assert.NotNull(problem["errors"]!["description"]);
    }
}

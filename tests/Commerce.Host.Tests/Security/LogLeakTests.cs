using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Commerce.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Commerce.Host.Tests.Security;

/// <summary>
/// The host as a real process, logging everything it can (every source at Verbose), through a whole shop scenario
/// with its failures: its output never carries a password, an access or refresh token, or an Authorization header.
/// </summary>
[StartFirst]
public sealed class LogLeakTests(ITestOutputHelper output)
{
    private const string AdminEmail = "root@test.local";
    private const string AdminPassword = "Root-secret-pass-41";
    private readonly List<string> _secrets = [AdminPassword];

    [Fact]
    public async Task A_whole_scenario_with_failures_leaves_no_password_or_token_in_the_log()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync();
        if (new NpgsqlConnectionStringBuilder(connectionString).Password is { Length: > 0 } databasePassword)
        {
            _secrets.Add(databasePassword);
        }

        await using var host = await HostProcess.StartAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Commerce"] = connectionString,
            ["Commerce__Admin__Email"] = AdminEmail,
            ["Commerce__Admin__Password"] = AdminPassword,
            ["Commerce__Logging__MinimumLevel"] = "Verbose",
            ["Serilog__MinimumLevel__Override__Microsoft"] = "Verbose",
            ["Serilog__MinimumLevel__Override__System"] = "Verbose",
            ["Serilog__MinimumLevel__Override__Microsoft.Hosting.Lifetime"] = "Verbose",
        });
        using var http = host.CreateClient();

        await RunScenarioAsync(http);
        await host.StopAsync();

        var log = host.Output;
        output.WriteLine($"{log.Split('\n').Length} log lines checked for {_secrets.Count} secrets");
        Assert.True(log.Length > 10_000, "the host logged less than expected; is the level setting read?");
        Assert.Contains("/api/auth/token", log);
        var leaked = _secrets.Where(secret => log.Contains(secret, StringComparison.Ordinal)).ToList();
        Assert.True(leaked.Count == 0, $"The log carries {leaked.Count} secrets, e.g. {leaked.FirstOrDefault()?[..Math.Min(12, leaked[0].Length)]}…");
        Assert.DoesNotContain("Bearer ", log);
        // A problem a handler threw is logged with its route, not "(no route)": the exception handler clears the endpoint.
        Assert.Contains("HTTP POST /api/orders/checkout responded 409", log);
        Assert.Contains("HTTP GET /api/orders/{orderId} responded 404", log);
    }

    private async Task RunScenarioAsync(HttpClient http)
    {
        // Members sign up and log in; the admin logs in.
        var alice = await SignUpAsync(http, "alice@test.local", "Alice-secret-pass-1");
        var bob = await SignUpAsync(http, "bob@test.local", "Bob-secret-pass-22");
        var admin = await LogInAsync(http, AdminEmail, AdminPassword);

        // The admin stocks the shop.
        var product = await SendAsync(http, admin, HttpMethod.Post, "/api/admin/products", """{"name":"Lamp","price":20000,"stock":50}""", HttpStatusCode.Created);
        var productId = product.RootElement.GetProperty("id").GetInt64();
        var now = DateTimeOffset.UtcNow;
        var campaign = await SendAsync(http, admin, HttpMethod.Post, "/api/admin/coupons",
            $$"""{"name":"Welcome","discountType":"FIXED","discountValue":1000,"target":"ORDER","totalQuantity":10,"startsAt":"{{now.AddHours(-1):O}}","endsAt":"{{now.AddDays(1):O}}","validDays":7}""",
            HttpStatusCode.Created);
        var campaignId = campaign.RootElement.GetProperty("id").GetInt64();

        // Alice charges, claims a coupon, places and pays an order, and buys at once with points.
        await SendAsync(http, alice, HttpMethod.Post, "/api/me/points/charge", """{"amount":100000}""", HttpStatusCode.OK, idempotencyKey: "charge-1");
        await SendAsync(http, alice, HttpMethod.Post, $"/api/coupons/{campaignId}/issue", null, HttpStatusCode.Created);
        var order = await SendAsync(http, alice, HttpMethod.Post, "/api/orders", $$"""{"items":[{"productId":{{productId}},"quantity":1}]}""", HttpStatusCode.Created);
        var orderId = order.RootElement.GetProperty("id").GetInt64();
        await SendAsync(http, alice, HttpMethod.Post, $"/api/orders/{orderId}/payment", null, HttpStatusCode.OK);
        await SendAsync(http, alice, HttpMethod.Post, "/api/orders/checkout", $$"""{"items":[{"productId":{{productId}},"quantity":2}],"couponIds":[]}""", HttpStatusCode.Created);
        await SendAsync(http, alice, HttpMethod.Get, "/api/me/orders", null, HttpStatusCode.OK);

        // Failures: someone else's order, too few points, wrong and weak passwords, broken bodies, forged and stale tokens.
        await SendAsync(http, bob, HttpMethod.Get, $"/api/orders/{orderId}", null, HttpStatusCode.NotFound);
        await SendAsync(http, bob, HttpMethod.Post, "/api/orders/checkout", $$"""{"items":[{"productId":{{productId}},"quantity":1}]}""", HttpStatusCode.Conflict);
        await PostAsync(http, "/api/auth/token", """{"email":"alice@test.local","password":"Wrong-secret-pass-3"}""", HttpStatusCode.Unauthorized, "Wrong-secret-pass-3");
        await PostAsync(http, "/api/auth/token", """{"email":"nobody@test.local","password":"Nobody-secret-pass-4"}""", HttpStatusCode.Unauthorized, "Nobody-secret-pass-4");
        await PostAsync(http, "/api/members", """{"name":"Weak","email":"weak@test.local","password":"weakpass5"}""", HttpStatusCode.BadRequest, "weakpass5");
        await PostAsync(http, "/api/members", """{"name":"Broken","email":"broken@test.local","password":"Broken-secret-pass-6" """, HttpStatusCode.BadRequest, "Broken-secret-pass-6");
        await PostAsync(http, "/api/auth/token", """{"email":"alice@test.local","pasword":"Typo-secret-pass-7"}""", HttpStatusCode.BadRequest, "Typo-secret-pass-7");
        await PostAsync(http, "/api/auth/token", """{"email":"alice@test.local","password":"Charset-secret-pass-8"}""", HttpStatusCode.UnsupportedMediaType,
            "Charset-secret-pass-8", "application/json; charset=bogus");
        await PostAsync(http, "/api/auth/token", """{"email":"alice@test.local","password":12345678901}""", HttpStatusCode.BadRequest, "12345678901");
        await SendAsync(http, "CfDJ8forged-token-that-is-no-such-thing-9", HttpMethod.Get, "/api/me", null, HttpStatusCode.Unauthorized);
        await SendAsync(http, alice[..^4] + "AAAA", HttpMethod.Get, "/api/me", null, HttpStatusCode.Unauthorized);
        await SendAsync(http, admin, HttpMethod.Put, $"/api/admin/members/{await MemberIdAsync(http, bob)}/status", """{"status":"DISABLED"}""", HttpStatusCode.OK);
        await SendAsync(http, bob, HttpMethod.Post, "/api/me/points/charge", """{"amount":1000}""", HttpStatusCode.Forbidden);
        await PostAsync(http, "/api/auth/token", """{"email":"bob@test.local","password":"Bob-secret-pass-22"}""", HttpStatusCode.Forbidden, "Bob-secret-pass-22");
        for (var i = 0; i < 6; i++)
        {
            await PostAsync(http, "/api/auth/token", $$"""{"email":"alice@test.local","password":"Guess-secret-pass-{{i}}0"}""",
                i < 4 ? HttpStatusCode.Unauthorized : HttpStatusCode.TooManyRequests, $"Guess-secret-pass-{i}0");
        }
    }

    private async Task<string> SignUpAsync(HttpClient http, string email, string password)
    {
        _secrets.Add(password);
        await PostAsync(http, "/api/members", $$"""{"name":"Member","email":"{{email}}","password":"{{password}}"}""", HttpStatusCode.Created);
        return await LogInAsync(http, email, password);
    }

    private async Task<string> LogInAsync(HttpClient http, string email, string password)
    {
        var response = await PostAsync(http, "/api/auth/token", $$"""{"email":"{{email}}","password":"{{password}}"}""", HttpStatusCode.OK);
        _secrets.Add(response.RootElement.GetProperty("accessToken").GetString()!);
        _secrets.Add(response.RootElement.GetProperty("refreshToken").GetString()!);
        return response.RootElement.GetProperty("accessToken").GetString()!;
    }

    private static async Task<long> MemberIdAsync(HttpClient http, string token) =>
        (await SendAsync(http, token, HttpMethod.Get, "/api/me", null, HttpStatusCode.OK)).RootElement.GetProperty("id").GetInt64();

    private async Task<System.Text.Json.JsonDocument> PostAsync(HttpClient http, string url, string body, HttpStatusCode expected, string? secret = null,
        string contentType = "application/json")
    {
        if (secret is not null)
        {
            _secrets.Add(secret);
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.Remove("Content-Type");
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return await ReadAsync(await http.SendAsync(request), expected, url);
    }

    private static async Task<System.Text.Json.JsonDocument> SendAsync(HttpClient http, string token, HttpMethod method, string url, string? body,
        HttpStatusCode expected, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await ReadAsync(await http.SendAsync(request), expected, url);
    }

    private static async Task<System.Text.Json.JsonDocument> ReadAsync(HttpResponseMessage response, HttpStatusCode expected, string url)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{url}: expected {expected}, got {response.StatusCode}: {text}");
        return System.Text.Json.JsonDocument.Parse(text.Length == 0 ? "{}" : text);
    }
}

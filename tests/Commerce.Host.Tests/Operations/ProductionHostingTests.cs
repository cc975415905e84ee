using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Commerce.Testing;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Host.Tests.Operations;

/// <summary>
/// The host as deployed behind a proxy for a browser storefront: 127.0.0.2 is the trusted reverse proxy, one web origin
/// may call the API, the key ring is encrypted with a certificate made for this run, and /metrics is for admins.
/// </summary>
public sealed class ProductionApp : CommerceApp
{
    public const string Proxy = "127.0.0.2";
    public const string Storefront = "https://shop.example";

    public string CertificatePath { get; } = Path.Combine(Path.GetTempPath(), $"commerce-keyring-{Guid.NewGuid():N}.pfx");

    public X509Certificate2 Certificate { get; }

    public ProductionApp()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=Commerce key ring (test)", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        File.WriteAllBytes(CertificatePath, Certificate.Export(X509ContentType.Pfx, "pfx-pass-1"));
    }

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Commerce:Http:TrustedProxies:0"] = Proxy,
        ["Commerce:Http:Cors:AllowedOrigins:0"] = Storefront,
        ["Commerce:DataProtection:CertificatePath"] = CertificatePath,
        ["Commerce:DataProtection:CertificatePassword"] = "pfx-pass-1",
        ["Commerce:Telemetry:MetricsEndpoint"] = "Admin",
        ["Commerce:RateLimits:SignUp:PermitLimit"] = "2",
        ["Commerce:RateLimits:SignUp:Window"] = "00:10:00",
    };

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        File.Delete(CertificatePath);
        Certificate.Dispose();
    }
}

public sealed class ProductionHostingTests(ProductionApp app) : IClassFixture<ProductionApp>
{
    private static int _emails;

    private static HttpRequestMessage SignUp(string? forwardedFor = null)
    {
        var email = $"proxied{Interlocked.Increment(ref _emails)}@test.local";
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/members")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new { name = "Proxied", email, password = "Secret-pass-1" }),
        };
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        return request;
    }

    [Fact]
    public async Task Behind_the_trusted_proxy_each_client_has_its_own_limit()
    {
        // What the proxy does: its connections come from its own address and name the client in X-Forwarded-For.
        using var proxy = app.ClientFrom(ProductionApp.Proxy);

        Assert.Equal(HttpStatusCode.Created, (await proxy.SendAsync(SignUp("203.0.113.7"))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await proxy.SendAsync(SignUp("203.0.113.7"))).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await proxy.SendAsync(SignUp("203.0.113.7"))).StatusCode);
        // Another client through the same proxy is not held back by the first one's limit, and neither is a chain
        // of trusted hops naming its client first.
        Assert.Equal(HttpStatusCode.Created, (await proxy.SendAsync(SignUp("203.0.113.8"))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await proxy.SendAsync(SignUp($"203.0.113.9, {ProductionApp.Proxy}"))).StatusCode);
    }

    [Fact]
    public async Task A_forwarded_header_from_an_untrusted_address_is_ignored()
    {
        using var spoofer = app.ClientFrom("127.0.0.3");

        // A new made-up client address on every request: the limit still counts the connection's own address.
        Assert.Equal(HttpStatusCode.Created, (await spoofer.SendAsync(SignUp("198.51.100.1"))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await spoofer.SendAsync(SignUp("198.51.100.2"))).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await spoofer.SendAsync(SignUp("198.51.100.3"))).StatusCode);
    }

    [Fact]
    public async Task A_preflight_from_the_storefront_is_allowed_with_the_headers_it_needs()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/orders/checkout");
        preflight.Headers.Add("Origin", ProductionApp.Storefront);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization, content-type, idempotency-key");

        var response = await app.Anonymous().SendAsync(preflight);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(ProductionApp.Storefront, Assert.Single(response.Headers.GetValues("Access-Control-Allow-Origin")));
        var allowedHeaders = string.Join(",", response.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant();
        Assert.Contains("authorization", allowedHeaders);
        Assert.Contains("idempotency-key", allowedHeaders);
        Assert.Contains("POST", string.Join(",", response.Headers.GetValues("Access-Control-Allow-Methods")));
        Assert.False(response.Headers.Contains("Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task The_storefront_can_read_Retry_After_and_another_origin_gets_no_CORS_headers()
    {
        using var fromStorefront = new HttpRequestMessage(HttpMethod.Get, "/api/products");
        fromStorefront.Headers.Add("Origin", ProductionApp.Storefront);
        var allowed = await app.Anonymous().SendAsync(fromStorefront);
        Assert.Equal(ProductionApp.Storefront, Assert.Single(allowed.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Contains("Retry-After", string.Join(",", allowed.Headers.GetValues("Access-Control-Expose-Headers")));

        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/orders/checkout");
        preflight.Headers.Add("Origin", "https://evil.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        var refused = await app.Anonymous().SendAsync(preflight);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task The_key_ring_is_stored_encrypted_with_the_certificate_and_reads_back()
    {
        var keys = await app.Sql.QueryAsync<string>("SELECT xml FROM platform.data_protection_keys");

        Assert.NotEmpty(keys);
        Assert.All(keys, xml =>
        {
            Assert.Contains("<encryptedSecret", xml);
            Assert.Contains(Convert.ToBase64String(app.Certificate.RawData), xml);
            Assert.DoesNotContain("<masterKey", xml);
        });
        // Decrypting the stored XML (not the copy cached at start) gives a usable key.
        var manager = app.Services.GetRequiredService<IKeyManager>();
        Assert.All(manager.GetAllKeys(), key => Assert.NotNull(key.Descriptor));
        using var member = app.ClientFor(await app.NewMemberAsync());
        Assert.Equal(HttpStatusCode.OK, (await member.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task Metrics_can_be_kept_for_admins()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().GetAsync("/metrics")).StatusCode);
        using var member = app.ClientFor(await app.NewMemberAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await member.GetAsync("/metrics")).StatusCode);
        using var admin = await app.AdminAsync();
        var scrape = await admin.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Contains("http_server_request_duration_seconds", await scrape.Content.ReadAsStringAsync());
    }
}

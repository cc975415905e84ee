using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Commerce.Testing;

namespace Commerce.Host.Tests.Operations;

/// <summary>
/// The host as a real process (so its meters count only its own work) with OTLP export pointed at a receiver on
/// loopback, after one Flow A (claim a coupon, place an order, pay it) and one Flow B (checkout with points).
/// </summary>
public sealed class TelemetryHost : IAsyncLifetime
{
    private const string AdminEmail = "root@test.local";
    private const string AdminPassword = "Root-secret-pass-41";

    public OtlpReceiver Receiver { get; private set; } = null!;

    public HostProcess Host { get; private set; } = null!;

    public Sql Sql { get; private set; } = null!;

    public long CampaignId { get; private set; }

    /// <summary>The W3C trace id the test gave its checkout request (traceparent), sampled.</summary>
    public string CheckoutTraceId { get; } = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());

    public async Task InitializeAsync()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync();
        Sql = new Sql(connectionString);
        Receiver = await OtlpReceiver.StartAsync();
        Host = await HostProcess.StartAsync(new Dictionary<string, string>
        {
            ["ConnectionStrings__Commerce"] = connectionString,
            ["Commerce__Admin__Email"] = AdminEmail,
            ["Commerce__Admin__Password"] = AdminPassword,
            ["Commerce__DataDirectory"] = Path.Combine(Path.GetTempPath(), "commerce-telemetry", Guid.NewGuid().ToString("N")),
            ["Commerce__Logging__MinimumLevel"] = "Warning",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        });
        await RunFlowsAsync();
    }

    private async Task RunFlowsAsync()
    {
        using var http = Host.CreateClient();
        var admin = await LogInAsync(http, AdminEmail, AdminPassword);
        var product = await SendAsync(http, admin, HttpMethod.Post, "/api/admin/products", new { name = "Lamp", price = 20_000, stock = 50 }, HttpStatusCode.Created);
        var productId = product["id"]!.GetValue<long>();
        var now = DateTimeOffset.UtcNow;
        var campaign = await SendAsync(http, admin, HttpMethod.Post, "/api/admin/coupons", new
        {
            name = "One only", discountType = "FIXED", discountValue = 1_000, target = "ORDER", totalQuantity = 1,
            startsAt = now.AddHours(-1), endsAt = now.AddDays(1), validDays = 7,
        }, HttpStatusCode.Created);
        CampaignId = campaign["id"]!.GetValue<long>();

        var alice = await SignUpAsync(http, "alice@test.local");
        var bob = await SignUpAsync(http, "bob@test.local");
        // The same charge twice with one key: applied once, answered twice.
        foreach (var _ in new[] { 1, 2 })
        {
            await SendAsync(http, alice, HttpMethod.Post, "/api/me/points/charge", new { amount = 100_000 }, HttpStatusCode.OK, idempotencyKey: "charge-1");
        }

        // Flow A: Alice takes the campaign's only coupon (Bob is told it is sold out), places an order and pays it.
        await SendAsync(http, alice, HttpMethod.Post, $"/api/coupons/{CampaignId}/issue", null, HttpStatusCode.Created);
        await SendAsync(http, bob, HttpMethod.Post, $"/api/coupons/{CampaignId}/issue", null, HttpStatusCode.Conflict);
        var order = await SendAsync(http, alice, HttpMethod.Post, "/api/orders", new { items = new[] { new { productId, quantity = 1 } } }, HttpStatusCode.Created);
        await SendAsync(http, alice, HttpMethod.Post, $"/api/orders/{order["id"]!.GetValue<long>()}/payment", null, HttpStatusCode.OK);

        // Flow B: one-step checkout paid with points, under a trace id the test chose.
        await SendAsync(http, alice, HttpMethod.Post, "/api/orders/checkout", new { items = new[] { new { productId, quantity = 2 } }, couponIds = Array.Empty<long>() },
            HttpStatusCode.Created, traceParent: $"00-{CheckoutTraceId}-{Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.NextInt64()))}-01");
    }

    private static async Task<string> SignUpAsync(HttpClient http, string email)
    {
        await SendAsync(http, null, HttpMethod.Post, "/api/members", new { name = "Member", email, password = "Member-secret-pass-1" }, HttpStatusCode.Created);
        return await LogInAsync(http, email, "Member-secret-pass-1");
    }

    private static async Task<string> LogInAsync(HttpClient http, string email, string password) =>
        (await SendAsync(http, null, HttpMethod.Post, "/api/auth/token", new { email, password }, HttpStatusCode.OK))["accessToken"]!.GetValue<string>();

    private static async Task<JsonNode> SendAsync(HttpClient http, string? token, HttpMethod method, string url, object? body, HttpStatusCode expected,
        string? idempotencyKey = null, string? traceParent = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : System.Net.Http.Json.JsonContent.Create(body) };
        request.Headers.Authorization = token is null ? null : new AuthenticationHeaderValue("Bearer", token);
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        if (traceParent is not null)
        {
            request.Headers.Add("traceparent", traceParent);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {url}: expected {expected}, got {response.StatusCode}: {text}");
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

public sealed class TelemetryTests(TelemetryHost shop) : IClassFixture<TelemetryHost>
{
    [Fact]
    public async Task A_scrape_after_flow_A_and_flow_B_shows_the_business_counters()
    {
        // Every event the flows wrote (they all committed before this test), delivered: a scrape taken while the relay
        // was still sending the last one would disagree with the table below.
        var events = await shop.Sql.ScalarAsync<long>("SELECT count(*) FROM platform.outbox");
        Assert.True(events >= 4, $"the flows wrote {events} events");
        var metrics = await Scrape.WhenAsync(shop.Host, m => m.Value("commerce_outbox_delivered_total") >= events);

        Assert.Equal(1, metrics.Value("commerce_orders_total", "event=\"placed\"", "via=\"PlaceOrder\""));
        Assert.Equal(1, metrics.Value("commerce_orders_total", "event=\"paid\"", "via=\"PayOrder\""));
        Assert.Equal(1, metrics.Value("commerce_orders_total", "event=\"paid\"", "via=\"Checkout\""));
        Assert.Equal(0, metrics.Value("commerce_orders_total", "event=\"payment_failed\""));
        Assert.Equal(1, metrics.Value("commerce_coupons_issued_total", $"campaign=\"{shop.CampaignId}\""));
        Assert.Equal(1, metrics.Value("commerce_coupons_sold_out_total", $"campaign=\"{shop.CampaignId}\""));
        Assert.Equal(1, metrics.Value("commerce_idempotent_replays_total", "command=\"ChargePoints\""));
        Assert.Equal(0, metrics.Value("commerce_lock_timeouts_total"));
        Assert.Equal(1, metrics.Value("commerce_command_duration_seconds_count", "command=\"Checkout\"", "outcome=\"ok\""));
        Assert.Equal(1, metrics.Value("commerce_command_duration_seconds_count", "command=\"PlaceOrder\"", "outcome=\"ok\""));
        Assert.Equal(1, metrics.Value("commerce_command_duration_seconds_count", "command=\"IssueCoupon\"", "outcome=\"COUPON_SOLD_OUT\""));
        // Request, database and outbox figures beside them.
        Assert.Equal(1, metrics.Value("http_server_request_duration_seconds_count", "http_route=\"/api/orders/checkout\"", "http_response_status_code=\"201\""));
        Assert.True(metrics.Value("db_client_operation_duration_seconds_count") > 0, "no Npgsql metrics");
        Assert.Equal(await shop.Sql.ScalarAsync<long>("SELECT count(*) FROM platform.outbox WHERE delivered_at IS NOT NULL"),
            metrics.Value("commerce_outbox_delivered_total"));
        Assert.True(metrics.Has("commerce_outbox_oldest_pending_age_seconds"), "no outbox backlog gauge");
        Assert.True(metrics.Has("process_runtime_dotnet_gc_collections_count_total") || metrics.Has("dotnet_gc_collections_total"), "no runtime metrics");
        // The pool is named, so the labels never carry the connection string.
        Assert.DoesNotContain("Username=", metrics.Text);
    }

    [Fact]
    public async Task The_checkout_arrives_over_OTLP_as_one_trace_request_then_command_then_SQL()
    {
        List<ReceivedSpan> trace = [];
        await Eventually.TrueAsync(() =>
        {
            trace = shop.Receiver.Spans().Where(s => s.TraceId == shop.CheckoutTraceId).ToList();
            return Task.FromResult(trace.Any(s => s.Name == "POST /api/orders/checkout") && trace.Any(s => s.Name == "Checkout") && trace.Any(s => s.Scope == "Npgsql"));
        }, TimeSpan.FromSeconds(20), "the checkout's request, command and SQL spans reach the receiver");

        var request = Assert.Single(trace, s => s.Name == "POST /api/orders/checkout");
        var command = Assert.Single(trace, s => s.Name == "Checkout");
        Assert.Equal(request.SpanId, command.ParentSpanId);
        var byId = trace.ToDictionary(s => s.SpanId);
        // The member check of the authorization policy runs SQL before the command; the command's own statements are its children.
        Assert.All(trace.Where(s => s.Scope == "Npgsql"), sql => Assert.True(DescendsFrom(sql, request, byId), $"SQL span {sql.Name} outside the request"));
        Assert.Contains(trace, s => s.Scope == "Npgsql" && DescendsFrom(s, command, byId));
        await Eventually.TrueAsync(() => Task.FromResult(!shop.Receiver.Metrics.IsEmpty), TimeSpan.FromSeconds(20), "metrics are exported too");
    }

    [Fact]
    public async Task Metrics_are_read_with_GET_only()
    {
        using var http = shop.Host.CreateClient();
        var response = await http.PostAsync("/metrics", null);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    private static bool DescendsFrom(ReceivedSpan span, ReceivedSpan ancestor, Dictionary<string, ReceivedSpan> byId)
    {
        for (var current = span; byId.TryGetValue(current.ParentSpanId, out var parent); current = parent)
        {
            if (parent.SpanId == ancestor.SpanId)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A Prometheus text scrape: sums the samples of a metric whose labels contain the given pairs.</summary>
internal sealed class Scrape(string text)
{
    public string Text { get; } = text;

    public static async Task<Scrape> WhenAsync(HostProcess host, Func<Scrape, bool> ready)
    {
        using var http = host.CreateClient();
        Scrape scrape = null!;
        await Eventually.TrueAsync(async () =>
        {
            var response = await http.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
            scrape = new Scrape(await response.Content.ReadAsStringAsync());
            return ready(scrape);
        }, TimeSpan.FromSeconds(20), "the outbox delivered the flows' events");
        return scrape;
    }

    public bool Has(string metric) => Samples(metric).Any();

    public double Value(string metric, params string[] labels) =>
        Samples(metric).Where(s => labels.All(s.Labels.Contains)).Sum(s => s.Value);

    private IEnumerable<(string Labels, double Value)> Samples(string metric) =>
        from line in Text.Split('\n')
        where line.StartsWith(metric + "{", StringComparison.Ordinal) || line.StartsWith(metric + " ", StringComparison.Ordinal)
        let space = line.LastIndexOf(' ')
        select (line[metric.Length..space], double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture));
}

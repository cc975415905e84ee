using System.Net.Http.Headers;
using Commerce.Modules.Carts;
using Commerce.Modules.Carts.Features.CreateCart;
using Commerce.Modules.Carts.Features.SetCartLine;
using Commerce.Modules.Orders;
using Commerce.Modules.Orders.Features.Checkout;
using Commerce.Modules.Orders.Features.PlaceOrder;
using Commerce.Testing;

namespace Commerce.Host.Tests.Security;

/// <summary>
/// Every endpoint × every kind of caller, with the exact answer each gets. Each request is valid for its caller and
/// built afresh for its cell (a new order to cancel, a new campaign to claim), so a cell shows only who may do what.
/// The table must name exactly the endpoints the host maps: a new endpoint fails this test until its row is added.
/// </summary>
[StartFirst]
public sealed class AccessControlMatrixTests(CommerceApp app) : IClassFixture<CommerceApp>
{
    private const string Unauthenticated = "401 UNAUTHENTICATED";
    private const string Forbidden = "403 FORBIDDEN";
    private const string NotAMember = "403 NOT_A_MEMBER";
    private const string NoSuchOrder = "404 ORDER_NOT_FOUND";
    private const string BadCredentials = "401 INVALID_CREDENTIALS";
    private const string InvalidRefresh = "401 INVALID_REFRESH_TOKEN";

    public enum Caller
    {
        Anonymous,
        Member,
        OtherMember,
        Admin,
        Disabled,
    }

    private sealed record Row(string Endpoint, Func<Scene, Caller, Task<HttpRequestMessage>> Request, params string[] Answers)
    {
        public string Expected(Caller caller) => Answers[(int)caller];
    }

    // "Member" owns the orders the order rows use; "other member" is any other active member.
    private static readonly Row[] Table =
    [
        //                                                             anonymous          member     other member  admin        disabled
        new("POST /api/members", (_, _) => Post("/api/members", new { name = "New", email = Scene.NewEmail(), password = "Secret-pass-1" }),
                                                                       "201",             "201",     "201",        "201",       "201"),
        new("POST /api/auth/token", (s, c) => Post("/api/auth/token", s.CredentialsOf(c)),
                                                                       BadCredentials,    "200",     "200",        "200",       NotAMember),
        new("POST /api/auth/refresh", (s, c) => Post("/api/auth/refresh", new { refreshToken = s.RefreshTokenOf(c) }),
                                                                       InvalidRefresh,    "200",     "200",        "200",       NotAMember),
        new("GET /api/me", (_, _) => Get("/api/me"),                   Unauthenticated,   "200",     "200",        "200",       NotAMember),
        new("PUT /api/admin/members/{memberId}/status", async (s, _) => await Put($"/api/admin/members/{await s.NewMemberAsync()}/status", new { status = "DISABLED" }),
                                                                       Unauthenticated,   Forbidden, Forbidden,    "200",       NotAMember),

        new("POST /api/me/points/charge", (_, _) => Post("/api/me/points/charge", new { amount = 1_000 }),
                                                                       Unauthenticated,   "200",     "200",        "200",       NotAMember),
        new("GET /api/me/points", (_, _) => Get("/api/me/points"),     Unauthenticated,   "200",     "200",        "200",       NotAMember),
        new("GET /api/me/points/history", (_, _) => Get("/api/me/points/history"),
                                                                       Unauthenticated,   "200",     "200",        "200",       NotAMember),

        new("GET /api/products", (_, _) => Get("/api/products"),       "200",             "200",     "200",        "200",       "200"),
        new("GET /api/products/{productId}", (s, _) => Get($"/api/products/{s.Product}"),
                                                                       "200",             "200",     "200",        "200",       "200"),
        new("GET /api/products/popular", (_, _) => Get("/api/products/popular"),
                                                                       "200",             "200",     "200",        "200",       "200"),
        new("POST /api/admin/products", (_, _) => Post("/api/admin/products", new { name = "Lamp", price = 30_000 }),
                                                                       Unauthenticated,   Forbidden, Forbidden,    "201",       NotAMember),
        new("PATCH /api/admin/products/{productId}", (s, _) => Patch($"/api/admin/products/{s.Product}", new { price = 10_000 }),
                                                                       Unauthenticated,   Forbidden, Forbidden,    "200",       NotAMember),
        new("POST /api/admin/products/{productId}/restock", (s, _) => Post($"/api/admin/products/{s.Product}/restock", new { quantity = 1 }),
                                                                       Unauthenticated,   Forbidden, Forbidden,    "200",       NotAMember),

        new("GET /api/coupons", (_, _) => Get("/api/coupons"),         "200",             "200",     "200",        "200",       "200"),
        new("GET /api/coupons/{campaignId}", async (s, _) => await Get($"/api/coupons/{await s.NewCampaignAsync()}"),
                                                                       "200",             "200",     "200",        "200",       "200"),
        new("POST /api/coupons/{campaignId}/issue", async (s, _) => await Post($"/api/coupons/{await s.NewCampaignAsync()}/issue"),
                                                                       Unauthenticated,   "201",     "201",        "201",       NotAMember),
        new("GET /api/me/coupons", (_, _) => Get("/api/me/coupons"),   Unauthenticated,   "200",     "200",        "200",       NotAMember),
        new("POST /api/admin/coupons", (s, _) => Post("/api/admin/coupons", s.NewCampaignBody()),
                                                                       Unauthenticated,   Forbidden, Forbidden,    "201",       NotAMember),
        new("PUT /api/admin/coupons/{campaignId}/quantity", async (s, _) => await Put($"/api/admin/coupons/{await s.NewCampaignAsync()}/quantity", new { totalQuantity = 500 }),
                                                                       Unauthenticated,   Forbidden, Forbidden,    "200",       NotAMember),

        new("POST /api/orders", (s, _) => Post("/api/orders", s.Basket()),
                                                                       Unauthenticated,   "201",     "201",        "201",       NotAMember),
        new("POST /api/orders/checkout", (s, _) => Post("/api/orders/checkout", s.Basket()),
                                                                       Unauthenticated,   "201",     "201",        "201",       NotAMember),
        new("GET /api/me/orders", (_, _) => Get("/api/me/orders"),     Unauthenticated,   "200",     "200",        "200",       NotAMember),
        new("GET /api/orders/{orderId}", async (s, _) => await Get($"/api/orders/{await s.MembersPendingOrderAsync()}"),
                                                                       Unauthenticated,   "200",     NoSuchOrder,  "200",       NotAMember),
        new("POST /api/orders/{orderId}/payment", async (s, _) => await Post($"/api/orders/{await s.MembersPendingOrderAsync()}/payment"),
                                                                       Unauthenticated,   "200",     NoSuchOrder,  NoSuchOrder, NotAMember),
        new("POST /api/orders/{orderId}/cancel", async (s, _) => await Post($"/api/orders/{await s.MembersPendingOrderAsync()}/cancel"),
                                                                       Unauthenticated,   "200",     NoSuchOrder,  NoSuchOrder, NotAMember),
        new("POST /api/orders/{orderId:long}/refund", async (s, _) => await Post($"/api/orders/{await s.MembersPaidOrderAsync()}/refund"),
                                                                       Unauthenticated,   "200",     NoSuchOrder,  "200",       NotAMember),

        new("POST /api/orders/quote", (s, _) => Post("/api/orders/quote", s.Basket()),
                                                                       Unauthenticated,   "200",     "200",        "200",       NotAMember),

        // A guest cart is reached only through its secret id, by whoever holds it; "my cart" is always the caller's own.
        new("POST /api/carts", (_, _) => Post("/api/carts"),            "201",             "201",     "201",        "201",       "201"),
        new("GET /api/carts/{cartId}", async (s, _) => await Get($"/api/carts/{await s.NewGuestCartAsync()}"),
                                                                       "200",             "200",     "200",        "200",       "200"),
        new("PUT /api/carts/{cartId}/items/{productId}", async (s, _) => await Put($"/api/carts/{await s.NewGuestCartAsync()}/items/{s.Product}", new { quantity = 1 }),
                                                                       "200",             "200",     "200",        "200",       "200"),
        new("DELETE /api/carts/{cartId}/items/{productId}", async (s, _) => await Delete($"/api/carts/{await s.NewGuestCartAsync()}/items/{s.Product}"),
                                                                       "200",             "200",     "200",        "200",       "200"),
        new("GET /api/me/cart", (_, _) => Get("/api/me/cart"),         Unauthenticated,   "200",     "200",        "200",       NotAMember),
        new("PUT /api/me/cart/items/{productId}", (s, _) => Put($"/api/me/cart/items/{s.Product}", new { quantity = 1 }),
                                                                       Unauthenticated,   "200",     "200",        "200",       NotAMember),
        new("DELETE /api/me/cart/items/{productId}", (s, _) => Delete($"/api/me/cart/items/{s.Product}"),
                                                                       Unauthenticated,   "200",     "200",        "200",       NotAMember),
        new("POST /api/me/cart/merge", async (s, _) => await Post("/api/me/cart/merge", new { cartId = await s.NewGuestCartAsync() }),
                                                                       Unauthenticated,   "200",     "200",        "200",       NotAMember),
        new("POST /api/me/cart/quote", async (s, c) => await Post("/api/me/cart/quote", await s.FillCartAsync(c)),
                                                                       Unauthenticated,   "200",     "200",        "200",       NotAMember),
        new("POST /api/me/cart/checkout", async (s, c) => await Post("/api/me/cart/checkout", await s.FillCartAsync(c)),
                                                                       Unauthenticated,   "201",     "201",        "201",       NotAMember),

        new("GET /api/admin/outbox/pending", (_, _) => Get("/api/admin/outbox/pending"),
                                                                       Unauthenticated,   Forbidden, Forbidden,    "200",       NotAMember),
        new("GET /api/admin/outbox/dead-letters", (_, _) => Get("/api/admin/outbox/dead-letters"),
                                                                       Unauthenticated,   Forbidden, Forbidden,    "200",       NotAMember),
        new("POST /api/admin/outbox/dead-letters/{id}/requeue", async (s, _) => await Post($"/api/admin/outbox/dead-letters/{await s.NewDeadLetterAsync()}/requeue"),
                                                                       Unauthenticated,   Forbidden, Forbidden,    "200",       NotAMember),
        new("POST /api/admin/outbox/dead-letters/requeue", (_, _) => Post("/api/admin/outbox/dead-letters/requeue", new { type = "MatrixEvent" }),
                                                                       Unauthenticated,   Forbidden, Forbidden,    "200",       NotAMember),

        new("ANY /health/live", (_, _) => Get("/health/live"),         "200",             "200",     "200",        "200",       "200"),
        new("ANY /health/ready", (_, _) => Get("/health/ready"),       "200",             "200",     "200",        "200",       "200"),
        new("GET /openapi/{documentName:regex(^v1$)}.json", (_, _) => Get("/openapi/v1.json"),
                                                                       "200",             "200",     "200",        "200",       "200"),
        // On by default; Commerce:Telemetry:MetricsEndpoint=Admin gives it the admin column (MetricsEndpointTests).
        new("GET /metrics", (_, _) => Get("/metrics"),                 "200",             "200",     "200",        "200",       "200"),
    ];

    [Fact]
    public async Task Every_endpoint_answers_every_kind_of_caller_exactly_as_the_table_says()
    {
        var mapped = ApiSurface.Of(app.Services).Select(e => e.Key).ToHashSet();
        var listed = Table.Select(r => r.Endpoint).ToHashSet();
        Assert.True(mapped.SetEquals(listed),
            $"Not in the table: {string.Join(", ", mapped.Except(listed))}. In the table but not mapped: {string.Join(", ", listed.Except(mapped))}.");

        var scene = await Scene.CreateAsync(app);
        var wrong = new List<string>();
        foreach (var row in Table)
        {
            foreach (var caller in Enum.GetValues<Caller>())
            {
                using var request = await row.Request(scene, caller);
                request.Headers.Authorization = scene.TokenOf(caller) is { } token ? new AuthenticationHeaderValue("Bearer", token) : null;
                using var response = await scene.Client.SendAsync(request);
                var answer = await Answer(response);
                if (answer != row.Expected(caller))
                {
                    wrong.Add($"{row.Endpoint} as {caller}: expected {row.Expected(caller)}, got {answer}");
                }
            }
        }

        Assert.True(wrong.Count == 0, $"{wrong.Count} of {Table.Length * 5} cells differ:\n{string.Join("\n", wrong)}");
    }

    private static Task<HttpRequestMessage> Get(string url) => Task.FromResult(new HttpRequestMessage(HttpMethod.Get, url));

    private static Task<HttpRequestMessage> Post(string url, object? body = null) => Send(HttpMethod.Post, url, body);

    private static Task<HttpRequestMessage> Put(string url, object body) => Send(HttpMethod.Put, url, body);

    private static Task<HttpRequestMessage> Patch(string url, object body) => Send(HttpMethod.Patch, url, body);

    private static Task<HttpRequestMessage> Delete(string url) => Send(HttpMethod.Delete, url, null);

    private static Task<HttpRequestMessage> Send(HttpMethod method, string url, object? body) =>
        Task.FromResult(new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) });

    private static async Task<string> Answer(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        return status < 400 ? status.ToString() : $"{status} {(await response.JsonAsync())["code"]?.GetValue<string>()}";
    }

    private sealed record Credentials(string Email, string Password);

    /// <summary>The callers, a product, and fresh state for the cells that use some up.</summary>
    private sealed class Scene(CommerceApp app, TestMember member, TestMember other, TestMember admin, TestMember disabled, long product)
    {
        private static int _emails;

        public HttpClient Client { get; } = app.Anonymous();

        public long Product { get; } = product;

        public static async Task<Scene> CreateAsync(CommerceApp app)
        {
            var members = await TestMembers.InsertAsync(app.Sql, 2);
            var adminId = await app.Sql.ScalarAsync<long>("SELECT id FROM members.members WHERE email = @AdminEmail", new { CommerceApp.AdminEmail });
            var admin = new TestMember(adminId, CommerceApp.AdminEmail, CommerceApp.AdminPassword, "admin");
            foreach (var shopper in new[] { members[0], members[1], admin })
            {
                await app.Services.ChargeAsync(shopper.Id, 1_000_000);
            }

            var product = (await app.Services.NewProductAsync(5_000, 10_000)).Id;
            return new Scene(app, members[0], members[1], admin, await app.NewMemberAsync(status: "DISABLED"), product);
        }

        public string? TokenOf(Caller caller) => caller switch
        {
            Caller.Member => app.TokenFor(member.Id),
            Caller.OtherMember => app.TokenFor(other.Id),
            Caller.Admin => app.TokenFor(admin.Id, "admin"),
            Caller.Disabled => app.TokenFor(disabled.Id),
            _ => null,
        };

        /// <summary>Each caller's own refresh token; the anonymous caller has none and sends text that is not one.</summary>
        public string RefreshTokenOf(Caller caller) => caller switch
        {
            Caller.Member => app.RefreshTokenFor(member.Id),
            Caller.OtherMember => app.RefreshTokenFor(other.Id),
            Caller.Admin => app.RefreshTokenFor(admin.Id, "admin"),
            Caller.Disabled => app.RefreshTokenFor(disabled.Id),
            _ => "not-a-refresh-token",
        };

        /// <summary>Each caller logs in as themselves; the anonymous caller with an address nobody has.</summary>
        public Credentials CredentialsOf(Caller caller) => caller switch
        {
            Caller.Member => new(member.Email, member.Password),
            Caller.OtherMember => new(other.Email, other.Password),
            Caller.Admin => new(admin.Email, admin.Password),
            Caller.Disabled => new(disabled.Email, disabled.Password),
            _ => new("nobody@test.local", "Secret-pass-1"),
        };

        public static string NewEmail() => $"matrix{Interlocked.Increment(ref _emails)}@test.local";

        public async Task<long> NewMemberAsync() => (await app.NewMemberAsync()).Id;

        public async Task<long> NewCampaignAsync() => (await app.Services.NewCampaignAsync(app.Clock.GetUtcNow())).Id;

        public async Task<long> MembersPendingOrderAsync() =>
            (await app.Services.SendAsync(new PlaceOrder(member.Id, [new OrderItem(Product, 1)], []))).Id;

        public async Task<long> MembersPaidOrderAsync() =>
            (await app.Services.SendAsync(new Checkout(member.Id, [new OrderItem(Product, 1)], []))).Id;

        public async Task<string> NewGuestCartAsync()
        {
            var cart = (await app.Services.SendAsync(new CreateCart())).CartId!;
            await app.Services.SendAsync(new SetCartLine(CartRef.OfGuest(cart), Product, 1));
            return cart;
        }

        /// <summary>Puts a product in the caller's own cart (callers without one get nothing) and returns the checkout body.</summary>
        public async Task<object> FillCartAsync(Caller caller)
        {
            var id = caller switch
            {
                Caller.Member => member.Id,
                Caller.OtherMember => other.Id,
                Caller.Admin => admin.Id,
                _ => (long?)null,
            };
            if (id is { } memberId)
            {
                await app.Services.SendAsync(new SetCartLine(CartRef.OfMember(memberId), Product, 1));
            }

            return new { couponIds = Array.Empty<long>() };
        }

        /// <summary>An event the relay gave up on, as if the data platform had refused it.</summary>
        public async Task<Guid> NewDeadLetterAsync()
        {
            var id = Guid.NewGuid();
            await app.Sql.ExecuteAsync("""
                INSERT INTO platform.outbox (id, stream_id, type, version, occurred_at, payload, attempts, last_error, dead_lettered_at)
                VALUES (@id, 'matrix', 'MatrixEvent', 1, now(), '{}', 1, 'HTTP 400 Bad Request', now())
                """, new { id });
            return id;
        }

        public object Basket() => new { items = new[] { new { productId = Product, quantity = 1 } }, couponIds = Array.Empty<long>() };

        public object NewCampaignBody()
        {
            var now = app.Clock.GetUtcNow();
            return new { name = "Matrix", discountType = "FIXED", discountValue = 1_000, target = "ORDER", totalQuantity = 100, startsAt = now, endsAt = now.AddDays(1), validDays = 7 };
        }
    }
}

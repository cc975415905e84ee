using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Orders.Features.PlaceOrder;
using Commerce.Testing;

namespace Commerce.Modules.Orders.Tests;

/// <summary>Every order endpoint over HTTP, success and error bodies pinned by snapshots.</summary>
public sealed class OrdersEndpointTests(OrdersApp app) : IClassFixture<OrdersApp>
{
    private async Task<(TestMember Member, HttpClient Client, long ProductId, long CouponId)> ShopperAsync(long points = 200_000)
    {
        var member = await app.NewMemberAsync();
        if (points > 0)
        {
            await app.Services.ChargeAsync(member.Id, points);
        }

        var product = await app.Services.NewProductAsync(price: 25_000, stock: 50, name: "Linen shirt");
        var coupon = await app.Services.IssueCouponAsync(member.Id,
            (await app.Services.NewCampaignAsync(app.Clock.GetUtcNow(), CouponTerms.Percent, 10, maxDiscount: 3_000)).Id);
        return (member, app.ClientFor(member), product.Id, coupon);
    }

    [Fact]
    public async Task Place_order_is_201_with_the_order()
    {
        var (_, client, productId, _) = await ShopperAsync();

        var response = await client.PostAsJsonAsync("/api/orders", new { items = new[] { new { productId, quantity = 2 } } });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Place_order_with_an_unknown_product_is_404_and_beyond_stock_409()
    {
        var (_, client, productId, _) = await ShopperAsync();

        var missing = await client.PostAsJsonAsync("/api/orders", new { items = new[] { new { productId = 987_654_321, quantity = 1 } } });
        var tooMany = await client.PostAsJsonAsync("/api/orders", new { items = new[] { new { productId, quantity = 51 } }, couponIds = Array.Empty<long>() });

        await Snapshot.MatchAsync(missing, test: "Place_order_with_an_unknown_product_is_404");
        await Snapshot.MatchAsync(tooMany, test: "Place_order_beyond_stock_is_409");
    }

    [Fact]
    public async Task Place_order_with_a_coupon_that_is_not_yours_is_422()
    {
        var (_, client, productId, _) = await ShopperAsync();
        var (_, _, _, othersCoupon) = await ShopperAsync();

        var response = await client.PostAsJsonAsync("/api/orders", new { items = new[] { new { productId, quantity = 1 } }, couponIds = new[] { othersCoupon } });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Place_order_with_a_malformed_basket_is_400()
    {
        var (_, client, _, _) = await ShopperAsync();

        var response = await client.PostAsJsonAsync("/api/orders", new { items = new[] { new { productId = 0, quantity = 0 } }, couponIds = new[] { -1 } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Checkout_is_201_with_the_paid_order()
    {
        var (_, client, productId, _) = await ShopperAsync();

        var response = await client.PostAsJsonAsync("/api/orders/checkout", new { items = new[] { new { productId, quantity = 3 } } });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Checkout_without_enough_points_is_409_INSUFFICIENT_POINTS()
    {
        var (_, client, productId, _) = await ShopperAsync(points: 1_000);

        var response = await client.PostAsJsonAsync("/api/orders/checkout", new { items = new[] { new { productId, quantity = 1 } } });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Checkout_replays_with_the_same_idempotency_key()
    {
        var (member, client, productId, _) = await ShopperAsync();
        var request = new { items = new[] { new { productId, quantity = 1 } } };

        var first = await client.PostJsonWithKeyAsync("/api/orders/checkout", request, "checkout-1");
        var retry = await client.PostJsonWithKeyAsync("/api/orders/checkout", request, "checkout-1");

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (first.StatusCode, retry.StatusCode));
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        Assert.Equal(1, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM orders.orders WHERE member_id = @Id", new { member.Id }));
        Assert.Equal(49, await app.Sql.StockAsync(productId));
    }

    [Fact]
    public async Task Pay_order_is_200_with_the_paid_order_and_the_balance()
    {
        var (member, client, productId, _) = await ShopperAsync();
        var order = await app.Services.SendAsync(new PlaceOrder(member.Id, [new(productId, 1)], null));

        var response = await client.PostAsync($"/api/orders/{order.Id}/payment", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Pay_order_declined_is_402_and_short_of_points_409()
    {
        var (member, client, _, _) = await ShopperAsync(points: 1_000_000);
        var pricey = await app.Services.NewProductAsync(price: 950_000, stock: 5, name: "Gold watch");
        var declined = await app.Services.SendAsync(new PlaceOrder(member.Id, [new(pricey.Id, 1)], []));
        var (poor, poorClient, productId, _) = await ShopperAsync(points: 0);
        var unaffordable = await app.Services.SendAsync(new PlaceOrder(poor.Id, [new(productId, 1)], []));

        var declinedResponse = await client.PostAsync($"/api/orders/{declined.Id}/payment", null);
        var poorResponse = await poorClient.PostAsync($"/api/orders/{unaffordable.Id}/payment", null);
        var notPayable = await client.PostAsync($"/api/orders/{declined.Id}/payment", null);

        Assert.Equal(HttpStatusCode.PaymentRequired, declinedResponse.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, poorResponse.StatusCode);
        await Snapshot.MatchAsync(declinedResponse, test: "Pay_order_declined_is_402");
        await Snapshot.MatchAsync(poorResponse, test: "Pay_order_short_of_points_is_409");
        await Snapshot.MatchAsync(notPayable, test: "Pay_order_of_a_failed_order_is_409_ORDER_NOT_PAYABLE");
    }

    [Fact]
    public async Task Get_order_is_for_its_member_and_admins_only()
    {
        var (member, client, productId, _) = await ShopperAsync();
        var order = await app.Services.SendAsync(new PlaceOrder(member.Id, [new(productId, 2)], null));

        var own = await client.GetAsync($"/api/orders/{order.Id}");
        var admin = await (await app.AdminAsync()).GetAsync($"/api/orders/{order.Id}");
        var stranger = await app.ClientFor(await app.NewMemberAsync()).GetAsync($"/api/orders/{order.Id}");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.NotFound), (own.StatusCode, admin.StatusCode, stranger.StatusCode));
        await Snapshot.MatchAsync(own, test: "Get_order_of_your_own");
        await Snapshot.MatchAsync(stranger, test: "Get_order_of_someone_else_is_404");
    }

    [Fact]
    public async Task My_orders_are_paged_newest_first_and_filter_by_status()
    {
        var (member, client, productId, _) = await ShopperAsync();
        var first = await app.Services.SendAsync(new PlaceOrder(member.Id, [new(productId, 1)], []));
        await app.Services.SendAsync(new PlaceOrder(member.Id, [new(productId, 2)], []));
        await client.PostAsync($"/api/orders/{first.Id}/cancel", null);

        var all = await client.GetAsync("/api/me/orders");
        var cancelled = await (await client.GetAsync("/api/me/orders?status=CANCELLED")).Content.ReadFromJsonAsync<JsonObject>();
        var badStatus = await client.GetAsync("/api/me/orders?status=LOST");

        await Snapshot.MatchAsync(all, test: "My_orders_newest_first");
        Assert.Equal(first.Id, cancelled!["items"]![0]!["id"]!.GetValue<long>());
        Assert.Equal(1, cancelled["totalCount"]!.GetValue<long>());
        await Snapshot.MatchAsync(badStatus, test: "My_orders_with_an_unknown_status_is_400");
    }

    [Fact]
    public async Task Cancel_is_200_with_the_cancelled_order()
    {
        var (member, client, productId, _) = await ShopperAsync();
        var order = await app.Services.SendAsync(new PlaceOrder(member.Id, [new(productId, 1)], null));

        var response = await client.PostAsync($"/api/orders/{order.Id}/cancel", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Snapshot.MatchAsync(response);
    }

    [Fact]
    public async Task Order_endpoints_need_a_member_token()
    {
        var anonymous = app.Anonymous();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/orders", new { items = new[] { new { productId = 1, quantity = 1 } } })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/orders/checkout", new { items = new[] { new { productId = 1, quantity = 1 } } })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/orders/1/payment", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/orders/1/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/orders/1")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/me/orders")).StatusCode);
    }
}

internal static class HttpKeys
{
    public static Task<HttpResponseMessage> PostJsonWithKeyAsync(this HttpClient client, string url, object body, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(body) };
        request.Headers.Add("Idempotency-Key", key);
        return client.SendAsync(request);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Commerce.Testing;

namespace Commerce.Modules.Orders.Tests;

/// <summary>Refunds and quotes over HTTP, bodies pinned by snapshots.</summary>
public sealed class RefundEndpointTests(OrdersApp app) : IClassFixture<OrdersApp>
{
    private async Task<(HttpClient Client, long ProductId)> ShopperAsync()
    {
        var member = await app.NewMemberAsync();
        await app.Services.ChargeAsync(member.Id, 200_000);
        var product = await app.Services.NewProductAsync(price: 25_000, stock: 50, name: "Linen shirt");
        await app.Services.IssueCouponAsync(member.Id, (await app.Services.NewCampaignAsync(app.Clock.GetUtcNow(), value: 5_000)).Id);
        return (app.ClientFor(member), product.Id);
    }

    [Fact]
    public async Task A_quote_then_a_checkout_agree_and_the_refund_is_200_with_the_refunded_order()
    {
        var (client, productId) = await ShopperAsync();
        var items = new[] { new { productId, quantity = 2 } };

        var quote = await client.PostAsJsonAsync("/api/orders/quote", new { items });
        var order = await Json(await client.PostAsJsonAsync("/api/orders/checkout", new { items }));
        var refund = await client.PostAsync($"/api/orders/{order["id"]}/refund", null);
        var again = await client.PostAsync($"/api/orders/{order["id"]}/refund", null);

        Assert.Equal((await quote.Content.ReadFromJsonAsync<Features.QuoteOrder.OrderQuote>())!.Total, order["total"]!.GetValue<long>());
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (refund.StatusCode, again.StatusCode));
        await Snapshot.MatchAsync(quote, test: "Quote_of_a_basket");
        await Snapshot.MatchAsync(refund, test: "Refund_of_a_paid_order");
    }

    [Fact]
    public async Task Refunding_an_order_that_is_not_paid_is_409_and_someone_elses_404()
    {
        var (client, productId) = await ShopperAsync();
        var (stranger, _) = await ShopperAsync();
        var placed = await Json(await client.PostAsJsonAsync("/api/orders", new { items = new[] { new { productId, quantity = 1 } } }));

        var notPaid = await client.PostAsync($"/api/orders/{placed["id"]}/refund", null);
        var notYours = await stranger.PostAsync($"/api/orders/{placed["id"]}/refund", null);

        await Snapshot.MatchAsync(notPaid, test: "Refund_of_an_unpaid_order_is_409");
        await Snapshot.MatchAsync(notYours, test: "Refund_of_someone_elses_order_is_404");
    }

    private static async Task<JsonNode> Json(HttpResponseMessage response) => (await response.Content.ReadFromJsonAsync<JsonNode>())!;
}

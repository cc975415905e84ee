using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Commerce.Testing;

namespace Commerce.Modules.Carts.Tests;

/// <summary>The cart endpoints over HTTP, the way the README walks through them; bodies pinned by snapshots.</summary>
public sealed class CartsEndpointTests(CommerceApp app) : IClassFixture<CommerceApp>
{
    [Fact]
    public async Task A_guest_fills_a_cart_logs_in_merges_quotes_and_checks_out()
    {
        var shirt = await app.Services.NewProductAsync(price: 25_000, stock: 50, name: "Linen shirt");
        var guest = app.Anonymous();
        var created = await guest.PostAsync("/api/carts", null);
        var cartId = (await Json(created))["cartId"]!.GetValue<string>();
        await guest.PutAsJsonAsync($"/api/carts/{cartId}/items/{shirt.Id}", new { quantity = 2 });
        var guestCart = await guest.GetAsync($"/api/carts/{cartId}");

        var member = await app.NewMemberAsync();
        await app.Services.ChargeAsync(member.Id, 100_000);
        var client = app.ClientFor(member);
        var merged = await client.PostAsJsonAsync("/api/me/cart/merge", new { cartId });
        var quote = await client.PostAsJsonAsync("/api/me/cart/quote", new { });
        using var checkout = new HttpRequestMessage(HttpMethod.Post, "/api/me/cart/checkout") { Content = JsonContent.Create(new { }) };
        checkout.Headers.Add("Idempotency-Key", "cart-checkout-1");
        var order = await client.SendAsync(checkout);
        var emptied = await client.GetAsync("/api/me/cart");
        var mergedAgain = await client.PostAsJsonAsync("/api/me/cart/merge", new { cartId });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await Snapshot.MatchAsync(guestCart, test: "Guest_cart");
        await Snapshot.MatchAsync(merged, test: "Merged_into_the_members_cart");
        await Snapshot.MatchAsync(quote, test: "Quote_of_the_cart");
        await Snapshot.MatchAsync(order, test: "Checkout_of_the_cart");
        await Snapshot.MatchAsync(emptied, test: "Cart_after_checkout");
        await Snapshot.MatchAsync(mergedAgain, test: "Merging_a_merged_cart_is_404");
    }

    [Fact]
    public async Task Refusals_are_problem_details_with_their_codes()
    {
        var client = app.ClientFor(await app.NewMemberAsync());
        var guest = app.Anonymous();
        var cartId = (await Json(await guest.PostAsync("/api/carts", null)))["cartId"]!.GetValue<string>();

        var unknownCart = await guest.GetAsync("/api/carts/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        var badQuantity = await guest.PutAsJsonAsync($"/api/carts/{cartId}/items/1", new { quantity = 101 });
        var unknownProduct = await guest.PutAsJsonAsync($"/api/carts/{cartId}/items/987654321", new { quantity = 1 });
        var emptyCheckout = await client.PostAsJsonAsync("/api/me/cart/checkout", new { });

        await Snapshot.MatchAsync(unknownCart, test: "An_unknown_guest_cart_is_404");
        await Snapshot.MatchAsync(badQuantity, test: "A_quantity_over_the_limit_is_400");
        await Snapshot.MatchAsync(unknownProduct, test: "An_unknown_product_is_404");
        await Snapshot.MatchAsync(emptyCheckout, test: "Checking_out_an_empty_cart_is_409");
    }

    private static async Task<JsonNode> Json(HttpResponseMessage response) => (await response.Content.ReadFromJsonAsync<JsonNode>())!;
}

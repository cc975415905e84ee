using Commerce.Modules.Carts;
using Commerce.Modules.Carts.Features.CreateCart;
using Commerce.Modules.Carts.Features.SetCartLine;
using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Coupons.Features.CreateCampaign;
using Commerce.Modules.Orders;
using Commerce.Modules.Orders.Features.CancelOrder;
using Commerce.Modules.Orders.Features.Checkout;
using Commerce.Modules.Orders.Features.PayOrder;
using Commerce.Modules.Orders.Features.PlaceOrder;
using Commerce.Testing;

namespace Commerce.Host.Tests.Security;

/// <summary>
/// A shop with some history, made through the product's own commands, so hostile requests reach deep code paths:
/// products (one discontinued, one nearly sold out), open, product-only, scarce and closed campaigns, and members
/// with points, coupons and orders in every state. <see cref="Member"/> and <see cref="Other"/> are two of the shoppers.
/// </summary>
internal sealed record SeededShop(
    TestMember Admin,
    TestMember Member,
    TestMember Other,
    TestMember Disabled,
    IReadOnlyList<TestMember> Shoppers,
    IReadOnlyList<TestMember> Victims,
    IReadOnlyList<long> Products,
    IReadOnlyList<long> Campaigns,
    IReadOnlyDictionary<long, IReadOnlyList<long>> OrdersOf,
    IReadOnlyDictionary<long, IReadOnlyList<long>> CouponsOf,
    IReadOnlyList<string> GuestCarts)
{
    public static async Task<SeededShop> CreateAsync(CommerceApp app)
    {
        var services = app.Services;
        var now = app.Clock.GetUtcNow();
        var adminId = await app.Sql.ScalarAsync<long>("SELECT id FROM members.members WHERE email = @AdminEmail", new { CommerceApp.AdminEmail });
        var admin = new TestMember(adminId, CommerceApp.AdminEmail, CommerceApp.AdminPassword, "admin");
        var shoppers = await TestMembers.InsertAsync(app.Sql, 5);
        var victims = await TestMembers.InsertAsync(app.Sql, 5);
        var disabled = await TestMembers.InsertOneAsync(app.Sql, status: "DISABLED");

        var products = new List<long>();
        foreach (var (price, stock) in new[] { (1_000L, 10_000), (12_000L, 10_000), (39_000L, 10_000), (150_000L, 10_000), (99_000L, 2), (500L, 10_000) })
        {
            products.Add((await services.NewProductAsync(price, stock)).Id);
        }

        var discontinued = (await services.NewProductAsync(20_000, 100)).Id;
        await services.DiscontinueAsync(discontinued);
        products.Add(discontinued);

        var campaigns = new List<long>
        {
            (await services.NewCampaignAsync(now, value: 1_000, minOrderAmount: 5_000)).Id,
            (await services.NewCampaignAsync(now, CouponTerms.Percent, 10, maxDiscount: 5_000)).Id,
            (await services.NewCampaignAsync(now, value: 500, target: CouponTerms.TargetProduct, productId: products[1])).Id,
            (await services.NewCampaignAsync(now, value: 100, quantity: 3)).Id,
            (await services.SendAsync(new CreateCampaign("Closed", CouponTerms.Fixed, 100, CouponTerms.TargetOrder, 10,
                now.AddDays(-10), now.AddDays(-1), ValidDays: 30))).Id,
        };

        var orders = new Dictionary<long, IReadOnlyList<long>>();
        var coupons = new Dictionary<long, IReadOnlyList<long>>();
        foreach (var (shopper, index) in shoppers.Select((s, i) => (s, i)))
        {
            await services.ChargeAsync(shopper.Id, 1_000_000);
            await services.ChargeAsync(shopper.Id, 1_000_000);
            var issued = new List<long>();
            // The scarce campaign (3 coupons) goes to the first three shoppers.
            foreach (var campaign in campaigns.Take(index < 3 ? 4 : 3))
            {
                issued.Add(await services.IssueCouponAsync(shopper.Id, campaign));
            }

            var placed = new List<long>();
            async Task<long> Place(long product, int quantity, IReadOnlyList<long>? couponIds) =>
                (await services.SendAsync(new PlaceOrder(shopper.Id, [new OrderItem(product, quantity)], couponIds))).Id;

            placed.Add(await Place(products[0], 2, []));
            placed.Add(await Place(products[1], 1, null));
            var cancelled = await Place(products[2], 1, []);
            await services.SendAsync(new CancelOrder(shopper.Id, cancelled));
            placed.Add(cancelled);
            var paid = await Place(products[3], 1, []);
            await services.SendAsync(new PayOrder(shopper.Id, paid));
            placed.Add(paid);
            placed.Add((await services.SendAsync(new Checkout(shopper.Id, [new OrderItem(products[5], 3), new OrderItem(products[0], 1)], []))).Id);
            await services.SendAsync(new SetCartLine(CartRef.OfMember(shopper.Id), products[0], 1));
            orders[shopper.Id] = placed;
            coupons[shopper.Id] = issued;
        }

        var guestCarts = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var cart = (await services.SendAsync(new CreateCart())).CartId!;
            await services.SendAsync(new SetCartLine(CartRef.OfGuest(cart), products[i], 1));
            guestCarts.Add(cart);
        }

        return new SeededShop(admin, shoppers[0], shoppers[1], disabled, shoppers, victims, products, campaigns, orders, coupons, guestCarts);
    }
}

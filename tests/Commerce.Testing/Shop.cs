using Commerce.Modules.Catalog;
using Commerce.Modules.Catalog.Features.CreateProduct;
using Commerce.Modules.Catalog.Features.UpdateProduct;
using Commerce.Modules.Coupons;
using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Coupons.Features.IssueCoupon;
using Commerce.Modules.Points.Features.ChargePoints;
using MediatR;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Testing;

/// <summary>
/// Arranging a shop through the product's own commands (as an admin or a member would), for tests of the
/// flows built on top: products, campaigns, issued coupons, points. Works on <c>host.Services</c> and <c>app.Services</c>.
/// </summary>
public static class Shop
{
    private static int _products;

    public static async Task<TResponse> SendAsync<TResponse>(this IServiceProvider services, IRequest<TResponse> request)
    {
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IMediator>().Send(request);
    }

    /// <summary>A product on sale, or in <paramref name="status"/> (set by the admin's update right after).</summary>
    public static async Task<ProductResponse> NewProductAsync(
        this IServiceProvider services, long price = 1_000, int stock = 10, string? name = null, string status = "ON_SALE")
    {
        var product = await services.SendAsync(new CreateProduct(name ?? $"Product {Interlocked.Increment(ref _products)}", "For tests", price, stock));
        return status == "ON_SALE" ? product : await services.SendAsync(new UpdateProduct(product.Id, Status: status));
    }

    public static Task<ProductResponse> DiscontinueAsync(this IServiceProvider services, long productId) =>
        services.SendAsync(new UpdateProduct(productId, Status: "DISCONTINUED"));

    /// <summary>Creates <see cref="TestCampaigns.Of"/>.</summary>
    public static Task<CampaignResponse> NewCampaignAsync(
        this IServiceProvider services,
        DateTimeOffset now,
        string discountType = CouponTerms.Fixed,
        long value = 1_000,
        string target = CouponTerms.TargetOrder,
        long? productId = null,
        long? maxDiscount = null,
        long? minOrderAmount = null,
        int quantity = 1_000,
        DateTimeOffset? validUntil = null) =>
        services.SendAsync(TestCampaigns.Of(now, discountType, value, target, productId, maxDiscount, minOrderAmount, quantity, validUntil));

    /// <summary>Issues the member a coupon of the campaign; returns the issued coupon's id.</summary>
    public static async Task<long> IssueCouponAsync(this IServiceProvider services, long memberId, long campaignId) =>
        (await services.SendAsync(new IssueCoupon(memberId, campaignId))).Id;

    public static Task<ChargeResult> ChargeAsync(this IServiceProvider services, long memberId, long amount) =>
        services.SendAsync(new ChargePoints(memberId, amount));
}

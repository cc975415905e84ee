using Commerce.Modules.Catalog;
using Commerce.Modules.Catalog.Features.CreateProduct;
using Commerce.Modules.Catalog.Features.UpdateProduct;
using Commerce.Modules.Coupons;
using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Coupons.Features.CreateCampaign;
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

    public static Task<ProductResponse> NewProductAsync(this IServiceProvider services, long price, int stock, string? name = null) =>
        services.SendAsync(new CreateProduct(name ?? $"Product {Interlocked.Increment(ref _products)}", "For tests", price, stock));

    public static Task<ProductResponse> DiscontinueAsync(this IServiceProvider services, long productId) =>
        services.SendAsync(new UpdateProduct(productId, Status: "DISCONTINUED"));

    /// <summary>A campaign open now for a week; coupons valid 30 days after issue unless <paramref name="validUntil"/> is given.</summary>
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
        services.SendAsync(new CreateCampaign($"{discountType} {value} off {target}", discountType, value, target, quantity,
            now.AddHours(-1), now.AddDays(7), maxDiscount, productId, minOrderAmount, validUntil, validUntil is null ? 30 : null));

    /// <summary>Issues the member a coupon of the campaign; returns the issued coupon's id.</summary>
    public static async Task<long> IssueCouponAsync(this IServiceProvider services, long memberId, long campaignId) =>
        (await services.SendAsync(new IssueCoupon(memberId, campaignId))).Id;

    public static Task<ChargeResult> ChargeAsync(this IServiceProvider services, long memberId, long amount) =>
        services.SendAsync(new ChargePoints(memberId, amount));
}

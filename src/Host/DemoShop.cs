using Commerce.BuildingBlocks.Hosting;
using Commerce.Modules.Catalog.Features.CreateProduct;
using Commerce.Modules.Catalog.Features.ListProducts;
using Commerce.Modules.Coupons.Contracts;
using Commerce.Modules.Coupons.Features.CreateCampaign;
using Commerce.Modules.Members.Features.Login;
using Commerce.Modules.Members.Startup;
using Commerce.Modules.Points.Features.ChargePoints;
using MediatR;
using Microsoft.Extensions.Options;

namespace Commerce.Host;

/// <summary>
/// With demo data on and an empty catalog: a few products (one nearly sold out), a few coupon campaigns (fixed,
/// percent with a cap, one for a product, one with only 10 coupons), and points for the demo members, all made
/// through the same commands an admin and a member would send, so the demo shows exactly what the API does.
/// </summary>
internal sealed class DemoShop(
    IServiceScopeFactory scopes,
    IOptions<DemoDataOptions> demo,
    TimeProvider clock,
    ILogger<DemoShop> logger) : IStartupTask
{
    public async Task RunAsync(CancellationToken ct)
    {
        if (!demo.Value.Enabled)
        {
            return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var mediator = scope.ServiceProvider.GetRequiredService<IMediator>();
        if ((await mediator.Send(new ListProducts(null, 1, 1), ct)).TotalCount > 0)
        {
            return;
        }

        var shirt = await mediator.Send(new CreateProduct("Linen shirt", "Breathable summer shirt, sand colour.", 39_000, 100), ct);
        await mediator.Send(new CreateProduct("Wool socks", "Three pairs, merino blend.", 12_000, 500), ct);
        await mediator.Send(new CreateProduct("Canvas tote", "Heavy canvas, inner pocket.", 18_000, 200), ct);
        await mediator.Send(new CreateProduct("Ceramic mug", "Hand-glazed, 350 ml.", 15_000, 300), ct);
        await mediator.Send(new CreateProduct("Limited sneakers", "Numbered pairs: only three left.", 129_000, 3), ct);

        var now = clock.GetUtcNow();
        var ends = now.AddDays(30);
        await mediator.Send(new CreateCampaign("Welcome 5,000 won off", CouponTerms.Fixed, 5_000, CouponTerms.TargetOrder, 1_000, now.AddMinutes(-1), ends,
            MinOrderAmount: 30_000, ValidDays: 30), ct);
        await mediator.Send(new CreateCampaign("10% off, up to 10,000 won", CouponTerms.Percent, 10, CouponTerms.TargetOrder, 1_000, now.AddMinutes(-1), ends,
            MaxDiscount: 10_000, ValidDays: 30), ct);
        await mediator.Send(new CreateCampaign("Linen shirt 7,000 won off", CouponTerms.Fixed, 7_000, CouponTerms.TargetProduct, 500, now.AddMinutes(-1), ends,
            ProductId: shirt.Id, ValidDays: 14), ct);
        await mediator.Send(new CreateCampaign("Flash: 30% off, 10 coupons only", CouponTerms.Percent, 30, CouponTerms.TargetOrder, 10, now.AddMinutes(-1), ends,
            MaxDiscount: 30_000, ValidDays: 7), ct);

        foreach (var member in demo.Value.Members)
        {
            var account = await mediator.Send(new Login(member.Email, member.Password), ct);
            await mediator.Send(new ChargePoints(account.MemberId, 300_000), ct);
        }

        logger.LogInformation("Created the demo catalog: 5 products, 4 coupon campaigns, 300,000 points for each demo member");
    }
}

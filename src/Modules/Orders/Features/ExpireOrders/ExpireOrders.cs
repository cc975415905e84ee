using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Hosting;
using Commerce.BuildingBlocks.Mediation;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Modules.Catalog.Contracts;
using Commerce.Modules.Coupons.Contracts;
using Dapper;
using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Orders.Features.ExpireOrders;

/// <summary>
/// Expires one order whose payment deadline has passed: EXPIRED, coupons and stock back, in one transaction.
/// Returns its id, or null when none is due. SKIP LOCKED lets several instances expire side by side, each
/// taking a different order, and never waits on an order someone is paying or cancelling right now.
/// </summary>
internal sealed record ExpireDueOrder : ICommand<long?>;

internal sealed class ExpireDueOrderHandler(
    DbSession session,
    ICouponRedemption coupons,
    IProductStock stock,
    Outbox outbox,
    TimeProvider clock) : IRequestHandler<ExpireDueOrder, long?>
{
    public async Task<long?> Handle(ExpireDueOrder command, CancellationToken ct)
    {
        var now = clock.GetUtcNow();

        // 1. One due order, locked (lock order step 1).
        var order = await OrderStore.ClaimDueAsync(session, now, ct);
        if (order is null)
        {
            return null;
        }

        // 2. EXPIRED, then the release: its coupons (step 2) and products (step 3).
        order = await OrderStore.SetStatusAsync(session, order, OrderStatus.Expired, now, ct);
        var lines = await OrderStore.LinesAsync(session, order.Id, ct);
        await OrderRelease.ReleaseAsync(session, coupons, stock, order, lines, now, ct);
        outbox.Record(new OrderExpired(OrderStore.View(order, lines, await OrderStore.LatestPaymentAsync(session, order.Id, ct))));
        return order.Id;
    }
}

internal sealed class OrderExpiryJob(IServiceScopeFactory scopes, IOptions<OrdersOptions> options, ILogger<OrderExpiryJob> logger)
    : PeriodicJob(scopes, logger)
{
    protected override TimeSpan Interval => options.Value.ExpiryInterval;

    protected override async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var mediator = services.GetRequiredService<IMediator>();
        var expired = 0;
        while (await mediator.Send(new ExpireDueOrder(), ct) is not null)
        {
            expired++;
        }

        if (expired > 0)
        {
            logger.LogInformation("Expired {Count} orders past their payment deadline", expired);
        }
    }
}

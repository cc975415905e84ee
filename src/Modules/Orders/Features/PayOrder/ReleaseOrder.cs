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

namespace Commerce.Modules.Orders.Features.PayOrder;

/// <summary>
/// Step 4 of a failed PayOrder, the compensation: gives the order's coupons and stock back, in its own transaction
/// in the global lock order (order row, its coupons, its products). Sent by PayOrder and the reconciler after a
/// payment failed (which could not do it in the same transaction without taking the coupons and products after the
/// wallet) and by the sweeper when a crash came in between. Exactly once: the order records it. Being a state change of its own, it publishes
/// <see cref="OrderReleased"/> (cancel and expiry release in the same transaction as their own event, which says so).
/// </summary>
internal sealed record ReleaseOrder(long OrderId) : ICommand<bool>;

internal sealed class ReleaseOrderHandler(DbSession session, ICouponRedemption coupons, IProductStock stock, Outbox outbox, TimeProvider clock)
    : IRequestHandler<ReleaseOrder, bool>
{
    public async Task<bool> Handle(ReleaseOrder command, CancellationToken ct)
    {
        // 1. Lock the order row (global lock order 1); released once, so a second attempt finds nothing due.
        var order = await OrderStore.LockAsync(session, command.OrderId, ct);
        if (order is null || !OrderRelease.IsDue(order))
        {
            return false;
        }

        // 2. The release: the order's coupons (global lock order 2), then its products (3); the event follows in its transaction.
        var lines = await OrderStore.LinesAsync(session, order.Id, ct);
        if (!await OrderRelease.ReleaseAsync(session, coupons, stock, order, lines, clock.GetUtcNow(), ct))
        {
            return false;
        }

        outbox.Record(new OrderReleased(OrderStore.View(order, lines, await OrderStore.LatestPaymentAsync(session, order.Id, ct))));
        return true;
    }
}

/// <summary>Finds failed orders whose release a crash interrupted (the request path normally does it at once).</summary>
internal sealed record FindUnreleasedOrders(DateTimeOffset OlderThan, int Limit) : IQuery<IReadOnlyList<long>>;

internal sealed class FindUnreleasedOrdersHandler(DbSession session) : IRequestHandler<FindUnreleasedOrders, IReadOnlyList<long>>
{
    // Served by orders_unreleased_idx, whose predicate is the same rule.
    private const string Sql = $"""
        SELECT id FROM orders.orders
        WHERE {OrderRelease.DueSql} AND updated_at < @OlderThan
        ORDER BY updated_at LIMIT @Limit
        """;

    public async Task<IReadOnlyList<long>> Handle(FindUnreleasedOrders query, CancellationToken ct) =>
        (await session.Connection.QueryAsync<long>(session.Command(Sql, query, ct))).AsList();
}

internal sealed class ReleaseSweeper(IServiceScopeFactory scopes, IOptions<OrdersOptions> options, TimeProvider clock, ILogger<ReleaseSweeper> logger)
    : PeriodicJob(scopes, logger)
{
    protected override TimeSpan Interval => options.Value.ReleaseSweepInterval;

    protected override async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var mediator = services.GetRequiredService<IMediator>();
        var olderThan = clock.GetUtcNow() - options.Value.ReleaseSweepAfter;
        foreach (var orderId in await mediator.Send(new FindUnreleasedOrders(olderThan, 100), ct))
        {
            if (await mediator.Send(new ReleaseOrder(orderId), ct))
            {
                logger.LogWarning("Finished the interrupted release of order {OrderId}", orderId);
            }
        }

        // Paid orders whose sale could not be recorded at once (the product rows were busy past the lock timeout).
        foreach (var orderId in await mediator.Send(new FindUnrecordedSales(olderThan, 100), ct))
        {
            if (await mediator.Send(new RecordSale(orderId), ct))
            {
                logger.LogInformation("Recorded the postponed sale of paid order {OrderId}", orderId);
            }
        }
    }
}

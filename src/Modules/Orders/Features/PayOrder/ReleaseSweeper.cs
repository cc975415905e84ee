using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Hosting;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Orders.Features.PayOrder;

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

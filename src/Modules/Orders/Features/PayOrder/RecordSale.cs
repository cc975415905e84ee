using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Commerce.Modules.Catalog.Contracts;
using Dapper;
using MediatR;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Commerce.Modules.Orders.Features.PayOrder;

/// <summary>
/// Step 4 of a paid PayOrder (also sent by the reconciler and the sweeper): counts a paid order's units for the popular
/// products, under the product row locks, once (the order's <c>sale_pending</c> flag). Its own transaction, so a
/// lock timeout here can only postpone the figures, never fail the payment.
/// </summary>
internal sealed record RecordSale(long OrderId) : ICommand<bool>;

internal sealed class RecordSaleHandler(DbSession session, IProductStock stock) : IRequestHandler<RecordSale, bool>
{
    // The UPDATE locks the order row (global lock order 1) before the products.
    private const string ClaimSql = """
        UPDATE orders.orders SET sale_pending = false WHERE id = @OrderId AND sale_pending RETURNING paid_at
        """;

    public async Task<bool> Handle(RecordSale command, CancellationToken ct)
    {
        // 1. Only once: the flag goes down in the same transaction as the figures go up.
        var paidAt = await session.Connection.QuerySingleOrDefaultAsync<DateTimeOffset?>(session.Command(ClaimSql, command, ct));
        if (paidAt is null)
        {
            return false;
        }

        // 2. The units, on the day the order was paid (product rows: global lock order 3).
        var lines = await OrderStore.LinesAsync(session, command.OrderId, ct);
        await stock.RecordSoldAsync(lines.Select(l => new StockLine(l.ProductId, l.Quantity)).ToList(), paidAt.Value, ct);
        return true;
    }

    /// <summary>
    /// Records a paid order's sale; when the products stay locked past the lock timeout (a rush on a hot product) or
    /// the database is unreachable, leaves it to the sweeper: the customer was charged, and the order is PAID already.
    /// </summary>
    internal static async Task SendOrLeaveItAsync(IMediator mediator, long orderId, ILogger logger)
    {
        try
        {
            await mediator.Send(new RecordSale(orderId), CancellationToken.None);
        }
        catch (NpgsqlException e)
        {
            logger.LogInformation("The sale of paid order {OrderId} is left to the sweeper: {Error}", orderId, e.Message);
        }
    }
}

/// <summary>Paid orders whose sale is not recorded yet (the products were busy, or a crash came in between).</summary>
internal sealed record FindUnrecordedSales(DateTimeOffset PaidBefore, int Limit) : IQuery<IReadOnlyList<long>>;

internal sealed class FindUnrecordedSalesHandler(DbSession session) : IRequestHandler<FindUnrecordedSales, IReadOnlyList<long>>
{
    private const string Sql = "SELECT id FROM orders.orders WHERE sale_pending AND paid_at < @PaidBefore ORDER BY paid_at LIMIT @Limit";

    public async Task<IReadOnlyList<long>> Handle(FindUnrecordedSales query, CancellationToken ct) =>
        (await session.Connection.QueryAsync<long>(session.Command(Sql, query, ct))).AsList();
}

using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using MediatR;

namespace Commerce.Modules.Orders.Features.GetOrder;

/// <summary>One order, for its member or an admin; anyone else sees 404, as if it did not exist.</summary>
public sealed record GetOrder(long RequesterId, bool RequesterIsAdmin, long OrderId) : IQuery<OrderView>;

internal sealed class GetOrderHandler(DbSession session) : IRequestHandler<GetOrder, OrderView>
{
    private const string Sql = """
        SELECT id, member_id, status, flow, subtotal, discount, total, order_coupon_id, order_discount, coupon_ids,
               payment_deadline, released_at, created_at, paid_at
        FROM orders.orders WHERE id = @OrderId
        """;

    public async Task<OrderView> Handle(GetOrder query, CancellationToken ct)
    {
        var order = await session.Connection.QuerySingleOrDefaultAsync<OrderStore.OrderRow>(session.Command(Sql, query, ct));
        return order is not null && (order.MemberId == query.RequesterId || query.RequesterIsAdmin)
            ? await OrderStore.ViewAsync(session, order, ct)
            : throw OrderStore.NotFound(query.OrderId);
    }
}

using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using MediatR;

namespace Commerce.Modules.Orders.Features.GetOrder;

/// <summary>One order, for its member or an admin; anyone else sees 404, as if it did not exist.</summary>
public sealed record GetOrder(long RequesterId, bool RequesterIsAdmin, long OrderId) : IQuery<OrderView>;

internal sealed class GetOrderHandler(DbSession session) : IRequestHandler<GetOrder, OrderView>
{
    public async Task<OrderView> Handle(GetOrder query, CancellationToken ct)
    {
        var order = await OrderStore.FindAsync(session, query.OrderId, ct);
        return order is not null && (order.MemberId == query.RequesterId || query.RequesterIsAdmin)
            ? await OrderStore.ViewAsync(session, order, ct)
            : throw OrderStore.NotFound(query.OrderId);
    }
}

using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Orders.Features.ListMyOrders;

public sealed record ListMyOrders(long MemberId, string? Status, int Page, int PageSize) : IQuery<PagedList<OrderSummary>>;

public sealed record OrderSummary(long Id, string Status, string Flow, int ItemCount, long Total, DateTimeOffset CreatedAt, DateTimeOffset? PaidAt);

internal sealed class ListMyOrdersValidator : AbstractValidator<ListMyOrders>
{
    public ListMyOrdersValidator()
    {
        this.ValidPaging(q => q.Page, q => q.PageSize);
        RuleFor(q => q.Status).Must(s => OrderStatus.All.Contains(s)).When(q => q.Status is not null)
            .WithMessage($"The status must be one of {string.Join(", ", OrderStatus.All)}.");
    }
}

internal sealed class ListMyOrdersHandler(DbSession session) : IRequestHandler<ListMyOrders, PagedList<OrderSummary>>
{
    // Newest first from orders_member_idx; the count in the same round trip.
    private const string Sql = """
        SELECT o.id, o.status, o.flow, (SELECT sum(quantity)::int FROM orders.order_lines l WHERE l.order_id = o.id) AS item_count,
               o.total, o.created_at, o.paid_at
        FROM orders.orders o
        WHERE o.member_id = @MemberId AND (@Status::text IS NULL OR o.status = @Status)
        ORDER BY o.id DESC LIMIT @PageSize OFFSET @Offset;
        SELECT count(*) FROM orders.orders WHERE member_id = @MemberId AND (@Status::text IS NULL OR status = @Status);
        """;

    public Task<PagedList<OrderSummary>> Handle(ListMyOrders query, CancellationToken ct) =>
        Paging.ReadAsync<OrderSummary>(session, Sql, new { query.MemberId, query.Status }, query.Page, query.PageSize, ct);
}

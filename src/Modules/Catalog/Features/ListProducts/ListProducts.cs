using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Http;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Catalog.Features.ListProducts;

/// <summary>Products, newest first; <paramref name="Status"/> null means every status.</summary>
public sealed record ListProducts(string? Status, int Page, int PageSize) : IQuery<PagedList<ProductResponse>>;

internal sealed class ListProductsValidator : AbstractValidator<ListProducts>
{
    public ListProductsValidator()
    {
        this.ValidPaging(q => q.Page, q => q.PageSize);
        RuleFor(q => q.Status!).SaleStatus().When(q => q.Status is not null);
    }
}

internal sealed class ListProductsHandler(DbSession session) : IRequestHandler<ListProducts, PagedList<ProductResponse>>
{
    // Served by products_status_idx with a status, by the primary key without; the count comes in the same round trip.
    private const string Sql = $"""
        SELECT {Products.Columns} FROM catalog.products
        WHERE @Status::text IS NULL OR status = @Status
        ORDER BY id DESC LIMIT @PageSize OFFSET @Offset;
        SELECT count(*) FROM catalog.products WHERE @Status::text IS NULL OR status = @Status;
        """;

    public Task<PagedList<ProductResponse>> Handle(ListProducts query, CancellationToken ct) =>
        Paging.ReadAsync<ProductResponse>(session, Sql, new { query.Status }, query.Page, query.PageSize, ct);
}

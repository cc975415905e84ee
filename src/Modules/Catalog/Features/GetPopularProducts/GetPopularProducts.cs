using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Catalog.Features.GetPopularProducts;

/// <summary>The products with the most units in paid orders over the last <paramref name="Days"/> UTC days, today included.</summary>
public sealed record GetPopularProducts(int Days, int Limit) : IQuery<PopularProducts>, IOpensConnectionWhenNeeded;

/// <summary>The window (both ends included) and the products in it, most units first; ties go to the lower id.</summary>
public sealed record PopularProducts(int Days, DateOnly From, DateOnly To, IReadOnlyList<PopularProduct> Items);

/// <summary>Discontinued products keep their place: the ranking reports what sold, <see cref="Status"/> says whether it still can.</summary>
public sealed record PopularProduct(long ProductId, string Name, long Price, string Status, long Units);

internal sealed class GetPopularProductsValidator : AbstractValidator<GetPopularProducts>
{
    public GetPopularProductsValidator()
    {
        RuleFor(q => q.Days).InclusiveBetween(1, CatalogLimits.MaxPopularDays);
        RuleFor(q => q.Limit).InclusiveBetween(1, CatalogLimits.MaxPopularLimit);
    }
}

internal sealed class GetPopularProductsHandler(DbSession session, PopularProductsCache cache)
    : IRequestHandler<GetPopularProducts, PopularProducts>
{
    // Reads at most days × products rows of the daily figures (a primary-key range on day), never the order lines.
    // Internal so the performance test can show its plan.
    internal const string Sql = """
        SELECT p.id AS product_id, p.name, p.price, p.status, s.units
        FROM (
            SELECT product_id, sum(units)::bigint AS units
            FROM catalog.product_sales_daily
            WHERE day BETWEEN @From AND @To
            GROUP BY product_id
            HAVING sum(units) > 0
            ORDER BY sum(units) DESC, product_id
            LIMIT @Limit
        ) s
        JOIN catalog.products p ON p.id = s.product_id
        ORDER BY s.units DESC, s.product_id
        """;

    public Task<PopularProducts> Handle(GetPopularProducts query, CancellationToken ct) =>
        // 1. A recent answer for the same window and limit, if this instance has one.
        cache.GetOrLoadAsync(query.Days, query.Limit, async today =>
        {
            // 2. Sum the daily figures of the window.
            await session.OpenAsync(ct);
            var from = today.AddDays(1 - query.Days);
            var items = (await session.Connection.QueryAsync<PopularProduct>(session.Command(Sql,
                new { From = from, To = today, query.Limit }, ct))).AsList();
            return new PopularProducts(query.Days, from, today, items);
        });
}

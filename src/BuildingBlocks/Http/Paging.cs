using Commerce.BuildingBlocks.Data;
using Dapper;
using FluentValidation;

namespace Commerce.BuildingBlocks.Http;

/// <summary>One page of a list, newest or most relevant first; <see cref="TotalCount"/> counts every page.</summary>
public sealed record PagedList<T>(IReadOnlyList<T> Items, int Page, int PageSize, long TotalCount);

public static class Paging
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public static int Offset(int page, int pageSize) => (page - 1) * pageSize;

    /// <summary>
    /// One page of a list: <paramref name="sql"/> selects the page (<c>LIMIT @PageSize OFFSET @Offset</c>, both filled in
    /// here beside <paramref name="filter"/>'s parameters), then counts every page, in the same round trip.
    /// </summary>
    public static async Task<PagedList<T>> ReadAsync<T>(DbSession session, string sql, object? filter, int page, int pageSize, CancellationToken ct)
    {
        var parameters = new DynamicParameters(filter);
        parameters.Add("PageSize", pageSize);
        parameters.Add("Offset", Offset(page, pageSize));
        using var results = await session.Connection.QueryMultipleAsync(session.Command(sql, parameters, ct));
        var items = (await results.ReadAsync<T>()).AsList();
        return new PagedList<T>(items, page, pageSize, await results.ReadSingleAsync<long>());
    }

    /// <summary>page ≥ 1 (and small enough that its offset fits), pageSize 1..100.</summary>
    public static void ValidPaging<T>(this AbstractValidator<T> validator, Func<T, int> page, Func<T, int> pageSize)
    {
        validator.RuleFor(x => page(x)).InclusiveBetween(1, 100_000).OverridePropertyName("page").WithName("page");
        validator.RuleFor(x => pageSize(x)).InclusiveBetween(1, MaxPageSize).OverridePropertyName("pageSize").WithName("pageSize");
    }
}

using FluentValidation;

namespace Commerce.BuildingBlocks.Http;

/// <summary>One page of a list, newest or most relevant first; <see cref="TotalCount"/> counts every page.</summary>
public sealed record PagedList<T>(IReadOnlyList<T> Items, int Page, int PageSize, long TotalCount);

public static class Paging
{
    public const int DefaultPageSize = 20;
    public const int MaxPageSize = 100;

    public static int Offset(int page, int pageSize) => (page - 1) * pageSize;

    /// <summary>page ≥ 1 (and small enough that its offset fits), pageSize 1..100.</summary>
    public static void ValidPaging<T>(this AbstractValidator<T> validator, Func<T, int> page, Func<T, int> pageSize)
    {
        validator.RuleFor(x => page(x)).InclusiveBetween(1, 100_000).OverridePropertyName("page").WithName("page");
        validator.RuleFor(x => pageSize(x)).InclusiveBetween(1, MaxPageSize).OverridePropertyName("pageSize").WithName("pageSize");
    }
}

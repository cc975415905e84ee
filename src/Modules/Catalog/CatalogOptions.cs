namespace Commerce.Modules.Catalog;

/// <summary><c>Commerce:Catalog</c>.</summary>
public sealed class CatalogOptions
{
    public const string Section = "Commerce:Catalog";

    /// <summary>How long one instance serves popular products from memory; a sale shows up at most this late. Zero turns the cache off.</summary>
    public TimeSpan PopularCacheDuration { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>What a product may hold; the migration's check constraints mirror these.</summary>
internal static class CatalogLimits
{
    public const int MaxNameLength = 200;
    public const int MaxDescriptionLength = 2_000;

    /// <summary>1 won to 100,000,000 won. A free product is a coupon's job: a list price of 0 is almost always a typo.</summary>
    public const long MinPrice = 1;
    public const long MaxPrice = 100_000_000;

    /// <summary>Stock given at creation and added by one restock.</summary>
    public const int MaxStockChange = 1_000_000;

    /// <summary>A restock may not take the stock past this; releases may, and int still has room for them.</summary>
    public const int MaxStock = 1_000_000_000;

    public const int MaxPopularDays = 30;
    public const int MaxPopularLimit = 50;
}

using System.Text;
using Commerce.Modules.Catalog.Contracts;
using FluentValidation;

namespace Commerce.Modules.Catalog;

/// <summary>Shape rules shared by creating and changing a product.</summary>
internal static class ProductRules
{
    public static IRuleBuilderOptions<T, string> ProductName<T>(this IRuleBuilder<T, string> rule) => rule
        .NotEmpty()
        .MaximumLength(CatalogLimits.MaxNameLength)
        .Must(name => IsCleanText(name, allowLineBreaks: false))
        .WithMessage("The name must not contain control characters or broken Unicode.");

    public static IRuleBuilderOptions<T, string> ProductDescription<T>(this IRuleBuilder<T, string> rule) => rule
        .MaximumLength(CatalogLimits.MaxDescriptionLength)
        .Must(description => IsCleanText(description, allowLineBreaks: true))
        .WithMessage("The description must not contain control characters (other than line breaks and tabs) or broken Unicode.");

    public static IRuleBuilderOptions<T, long> ProductPrice<T>(this IRuleBuilder<T, long> rule) => rule
        .InclusiveBetween(CatalogLimits.MinPrice, CatalogLimits.MaxPrice);

    public static IRuleBuilderOptions<T, string> SaleStatus<T>(this IRuleBuilder<T, string> rule) => rule
        .Must(IsStatus)
        .WithMessage($"The status must be {ProductStatus.OnSale} or {ProductStatus.Discontinued}.");

    public static bool IsStatus(string? status) => status is ProductStatus.OnSale or ProductStatus.Discontinued;

    /// <summary>
    /// PostgreSQL refuses NUL in text and Npgsql cannot encode a lone surrogate: both would surface as a 500,
    /// so they are refused here, together with the other control characters nobody means in a product name.
    /// </summary>
    private static bool IsCleanText(string? text, bool allowLineBreaks)
    {
        if (text is null)
        {
            return true;
        }

        var rest = text.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return false;
            }

            if (Rune.IsControl(rune) && !(allowLineBreaks && rune.Value is '\n' or '\r' or '\t'))
            {
                return false;
            }

            rest = rest[consumed..];
        }

        return true;
    }
}

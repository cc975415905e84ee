using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Commerce.Modules.Carts;

internal static class CartErrors
{
    public const string CartNotFound = "CART_NOT_FOUND";
    public const string CartFull = "CART_FULL";
    public const string CartEmpty = "CART_EMPTY";
}

/// <summary>The limits of an order (Orders' NewOrder, internal to its module): a cart holds what one order may.</summary>
internal static class CartLimits
{
    public const int MaxLines = 50;
    public const int MaxQuantity = 100;
    public const int MaxCoupons = 10;
}

/// <summary>Which cart: the member's own, or a guest's by its secret id. Exactly one is set.</summary>
public sealed record CartRef(long? MemberId, string? GuestCartId)
{
    public static CartRef OfMember(long memberId) => new(memberId, null);

    public static CartRef OfGuest(string cartId) => new(null, cartId);

    /// <summary>Keeps a guest's id out of anything that prints the request.</summary>
    public override string ToString() => MemberId is { } id ? $"cart of member {id}" : "guest cart";
}

/// <summary>A cart as the shopper sees it: live names, prices and availability, and the subtotal at today's prices.</summary>
public sealed record CartView(string? CartId, IReadOnlyList<CartLineView> Lines, int ItemCount, long Subtotal, bool ReadyToCheckOut, DateTimeOffset? UpdatedAt);

/// <summary><see cref="Available"/>: on sale with at least <see cref="Quantity"/> in stock right now.</summary>
public sealed record CartLineView(long ProductId, string ProductName, string ProductStatus, long UnitPrice, int Quantity, long Amount, int Stock, bool Available);

/// <summary>Guest cart ids: 256 random bits, URL-safe; the database keeps only their SHA-256.</summary>
internal static class GuestCartIds
{
    public const int Length = 43;

    public static string New() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string cartId) => SHA256.HashData(Encoding.UTF8.GetBytes(cartId));

    /// <summary>Anything else cannot be a cart id; it is answered as an unknown cart, never as a bad request.</summary>
    public static bool IsWellFormed(string? cartId) =>
        cartId is { Length: Length } && cartId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}

namespace Commerce.Modules.Carts;

/// <summary><c>Commerce:Carts</c>.</summary>
public sealed class CartsOptions
{
    public const string Section = "Commerce:Carts";

    /// <summary>A guest cart nobody changed for this long is deleted.</summary>
    public TimeSpan GuestCartLifetime { get; set; } = TimeSpan.FromDays(30);

    /// <summary>A member's cart nobody changed for this long is deleted; unset: members' carts are kept.</summary>
    public TimeSpan? MemberCartLifetime { get; set; }

    /// <summary>How often the expiry job runs.</summary>
    public TimeSpan ExpiryInterval { get; set; } = TimeSpan.FromHours(1);
}

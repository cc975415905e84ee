using Commerce.Testing;

namespace Commerce.Modules.Carts.Tests;

/// <summary>The composition without HTTP: handler tests send cart commands through the mediator and read the rows.</summary>
public class CartsHost : ModuleHost
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Commerce:PaymentGateway:Simulated:Latency"] = "00:00:00",
        // The tests run the expiry themselves, with the clock where they want it.
        ["Commerce:Carts:ExpiryInterval"] = "01:00:00",
    };

    public Task<IReadOnlyList<(long ProductId, int Quantity)>> MemberCartLines(long memberId) => Sql.QueryAsync<(long, int)>("""
        SELECT l.product_id, l.quantity FROM carts.cart_lines l JOIN carts.carts c ON c.id = l.cart_id
        WHERE c.member_id = @memberId ORDER BY l.product_id
        """, new { memberId });
}

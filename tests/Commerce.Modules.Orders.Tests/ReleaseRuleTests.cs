using Commerce.Testing;

namespace Commerce.Modules.Orders.Tests;

/// <summary>
/// The release rule is <see cref="OrderRelease.IsDue"/> in C# and <see cref="OrderRelease.DueSql"/> in SQL; the migration
/// spells it twice more as literals (the partial index the sweeper reads, and the CHECK on released_at). All four must
/// say the same for every status, or the sweeper misses orders or the index stops serving it.
/// </summary>
public sealed class ReleaseRuleTests(OrdersHost host) : IClassFixture<OrdersHost>
{
    public static TheoryData<string> Statuses() => new(OrderStatus.All);

    [Theory]
    [MemberData(nameof(Statuses))]
    public async Task The_CSharp_rule_the_sweeper_query_the_index_and_the_check_agree(string status)
    {
        var due = OrderRelease.IsDue(new OrderStore.OrderRow { Status = status, ReleasedAt = null });
        Assert.False(OrderRelease.IsDue(new OrderStore.OrderRow { Status = status, ReleasedAt = DateTimeOffset.UnixEpoch }));

        Assert.Equal(due, await EvaluateAsync(OrderRelease.DueSql, status, released: false));
        Assert.False(await EvaluateAsync(OrderRelease.DueSql, status, released: true));

        var index = await host.Sql.ScalarAsync<string>("""
            SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i
            WHERE i.indexrelid = 'orders.orders_unreleased_idx'::regclass
            """);
        Assert.Equal(due, await EvaluateAsync(index, status, released: false));

        // The CHECK allows released_at only where the rule could have released the order.
        var check = await host.Sql.ScalarAsync<string>("""
            SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
            WHERE c.conrelid = 'orders.orders'::regclass AND c.contype = 'c' AND pg_get_constraintdef(c.oid) LIKE '%released_at%'
            """);
        Assert.Equal(due, await EvaluateAsync(check["CHECK ".Length..], status, released: true));
    }

    /// <summary>A predicate over an orders row with just this status and released_at, evaluated by PostgreSQL.</summary>
    private Task<bool> EvaluateAsync(string predicate, string status, bool released) => host.Sql.ScalarAsync<bool>($"""
        SELECT {predicate} FROM (SELECT CAST(@status AS text) AS status,
                                        CASE WHEN @released THEN now() END AS released_at) AS orders
        """, new { status, released });
}

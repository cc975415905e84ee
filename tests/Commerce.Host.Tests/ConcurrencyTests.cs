using Commerce.Testing;

namespace Commerce.Host.Tests;

public sealed class ConcurrencyTests(CommerceApp app) : IClassFixture<CommerceApp>
{
    [Fact]
    public async Task Hundred_concurrent_charges_over_http_give_the_exact_balance_and_hundred_ledger_rows()
    {
        var member = await app.NewMemberAsync();
        var client = app.ClientFor(member);

        var statuses = await Concurrently.RunAsync(100, async i =>
            (int)(await client.PostJsonAsync("/api/me/points/charge", new { amount = 100 + i })).StatusCode);

        Assert.All(statuses, s => Assert.Equal(200, s));
        var expected = Enumerable.Range(0, 100).Sum(i => 100L + i);
        Assert.Equal(expected, await app.Sql.ScalarAsync<long>("SELECT balance FROM points.wallets WHERE member_id = @Id", new { member.Id }));
        Assert.Equal(100, await app.Sql.ScalarAsync<long>("SELECT count(*) FROM points.ledger WHERE member_id = @Id", new { member.Id }));
        Assert.Equal(expected, await app.Sql.ScalarAsync<long>("SELECT sum(amount) FROM points.ledger WHERE member_id = @Id", new { member.Id }));
    }

    [Fact]
    public async Task Every_wallet_balance_equals_the_sum_of_its_ledger_after_concurrent_charges_by_many_members()
    {
        var members = await TestMembers.InsertAsync(app.Sql, 20);
        var clients = members.Select(app.ClientFor).ToList();

        await Concurrently.RunAsync(200, async i => (await clients[i % 20].PostJsonAsync("/api/me/points/charge", new { amount = 10 })).StatusCode);

        var mismatches = await app.Sql.WalletsOffTheirLedgerAsync();
        Assert.Equal(0, mismatches);
        Assert.Equal(2_000, await app.Sql.ScalarAsync<long>("SELECT sum(balance) FROM points.wallets WHERE member_id = ANY(@Ids)", new { Ids = members.Select(m => m.Id).ToArray() }));
    }
}

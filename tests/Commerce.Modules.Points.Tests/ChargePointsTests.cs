using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Points.Features.ChargePoints;
using Commerce.Testing;
using FluentValidation;

namespace Commerce.Modules.Points.Tests;

public sealed class ChargePointsTests(ModuleHost host) : IClassFixture<ModuleHost>
{
    [Fact]
    public async Task ChargePoints_creates_the_wallet_and_writes_a_ledger_entry_and_an_outbox_event()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);

        var result = await host.SendAsync(new ChargePoints(member.Id, 5_000));

        Assert.Equal(5_000, result.Balance);
        Assert.Equal(5_000, await host.Sql.ScalarAsync<long>("SELECT balance FROM points.wallets WHERE member_id = @Id", new { member.Id }));
        var entry = await host.Sql.SingleAsync<(string Type, long Amount, long BalanceAfter, long Id)>(
            "SELECT type, amount, balance_after, id FROM points.ledger WHERE member_id = @Id", new { member.Id });
        Assert.Equal(("CHARGE", 5_000L, 5_000L, result.LedgerEntryId), entry);
        var payload = await host.Sql.ScalarAsync<string>(
            "SELECT payload::text FROM platform.outbox WHERE type = 'PointsCharged' AND stream_id = @Stream", new { Stream = $"member-{member.Id}" });
        Assert.Contains("\"amount\": 5000", payload);
    }

    [Fact]
    public async Task ChargePoints_adds_to_an_existing_balance()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        await host.SendAsync(new ChargePoints(member.Id, 1_000));

        var result = await host.SendAsync(new ChargePoints(member.Id, 2_500));

        Assert.Equal(3_500, result.Balance);
        Assert.Equal(2, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM points.ledger WHERE member_id = @Id", new { member.Id }));
    }

    [Fact]
    public async Task ChargePoints_past_the_balance_limit_is_refused_and_changes_nothing()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        for (var i = 0; i < 10; i++)
        {
            await host.SendAsync(new ChargePoints(member.Id, 1_000_000));
        }

        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new ChargePoints(member.Id, 1)));

        Assert.Equal(("BALANCE_LIMIT_EXCEEDED", 409), (error.Code, error.Status));
        Assert.Equal(10_000_000, await host.Sql.ScalarAsync<long>("SELECT balance FROM points.wallets WHERE member_id = @Id", new { member.Id }));
        Assert.Equal(10, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM points.ledger WHERE member_id = @Id", new { member.Id }));
        Assert.Equal(10, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM platform.outbox WHERE stream_id = @Stream", new { Stream = $"member-{member.Id}" }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1_000_001)]
    [InlineData(long.MaxValue)]
    public async Task ChargePoints_outside_1_to_1000000_is_a_validation_error(long amount)
    {
        var error = await Assert.ThrowsAsync<ValidationException>(() => host.SendAsync(new ChargePoints(1, amount)));

        Assert.Equal("Amount", Assert.Single(error.Errors).PropertyName);
    }

    [Fact]
    public async Task Hundred_concurrent_charges_for_one_member_give_the_exact_balance_and_hundred_ledger_rows()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);

        var results = await Concurrently.RunAsync(100, i => host.SendAsync(new ChargePoints(member.Id, i + 1)));

        var expected = Enumerable.Range(1, 100).Sum();
        Assert.Equal(100, results.Length);
        Assert.Equal(expected, await host.Sql.ScalarAsync<long>("SELECT balance FROM points.wallets WHERE member_id = @Id", new { member.Id }));
        Assert.Equal(100, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM points.ledger WHERE member_id = @Id", new { member.Id }));
        Assert.Equal(expected, await host.Sql.ScalarAsync<long>("SELECT sum(amount) FROM points.ledger WHERE member_id = @Id", new { member.Id }));
        // Every balance from 1 charge to 100 charges appears exactly once: the charges were serialised by the wallet lock.
        Assert.Equal(100, results.Select(r => r.Balance).Distinct().Count());
    }
}

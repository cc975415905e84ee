using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Points.Contracts;
using Commerce.Modules.Points.Features.ChargePoints;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Modules.Points.Tests;

/// <summary>IPointWallet as the order flows call it: inside a transaction of their own.</summary>
public sealed class PointWalletTests(ModuleHost host) : IClassFixture<ModuleHost>
{
    [Fact]
    public async Task DeductAsync_takes_the_amount_and_writes_a_USE_entry()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        await host.SendAsync(new ChargePoints(member.Id, 5_000));

        var change = await Deduct(member.Id, 1_200, "order-1");

        Assert.Equal((-1_200L, 3_800L), (change.Amount, change.BalanceAfter));
        Assert.Equal(3_800, await host.Sql.BalanceAsync(member.Id));
        var entry = await host.Sql.SingleAsync<(string Type, long Amount, long BalanceAfter, string Reference)>(
            "SELECT type, amount, balance_after, reference FROM points.ledger WHERE id = @Id", new { Id = change.LedgerEntryId });
        Assert.Equal(("USE", -1_200L, 3_800L, "order-1"), entry);
    }

    [Fact]
    public async Task DeductAsync_of_more_than_the_balance_is_INSUFFICIENT_POINTS_and_writes_nothing()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        await host.SendAsync(new ChargePoints(member.Id, 1_000));

        var error = await Assert.ThrowsAsync<AppException>(() => Deduct(member.Id, 1_001, "order-2"));

        Assert.Equal(("INSUFFICIENT_POINTS", 409, 1_000L, 1_001L), (error.Code, error.Status, (long)error.Extensions["balance"]!, (long)error.Extensions["required"]!));
        Assert.Equal(1_000, await host.Sql.BalanceAsync(member.Id));
        Assert.Equal(1, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM points.ledger WHERE member_id = @Id", new { member.Id }));
    }

    [Fact]
    public async Task DeductAsync_of_the_whole_balance_leaves_zero()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        await host.SendAsync(new ChargePoints(member.Id, 700));

        var change = await Deduct(member.Id, 700, "order-3");

        Assert.Equal(0, change.BalanceAfter);
        Assert.Equal(0, await host.Sql.BalanceAsync(member.Id));
    }

    [Fact]
    public async Task DeductAsync_for_a_member_who_never_charged_is_INSUFFICIENT_POINTS_with_a_balance_of_zero()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);

        var error = await Assert.ThrowsAsync<AppException>(() => Deduct(member.Id, 1, "order-4"));

        Assert.Equal(("INSUFFICIENT_POINTS", 0L), (error.Code, (long)error.Extensions["balance"]!));
        Assert.Equal(0, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM points.wallets WHERE member_id = @Id", new { member.Id }));
    }

    [Fact]
    public async Task Deductions_racing_charges_on_one_wallet_keep_the_balance_equal_to_the_ledger()
    {
        // Deductions whose statement started before a charge committed must take from the charged balance: the
        // balance the statement read in its snapshot is older than the one it locks.
        var member = await TestMembers.InsertOneAsync(host.Sql);
        await host.SendAsync(new ChargePoints(member.Id, 300));

        var outcomes = await Concurrently.RunAsync(120, async i =>
        {
            if (i % 3 == 0)
            {
                await host.SendAsync(new ChargePoints(member.Id, 200));
                return "CHARGED";
            }

            try
            {
                await Deduct(member.Id, 150, $"order-race-{i}");
                return "DEDUCTED";
            }
            catch (AppException e)
            {
                return e.Code;
            }
        });

        var charged = outcomes.Count(o => o == "CHARGED");
        var deducted = outcomes.Count(o => o == "DEDUCTED");
        Assert.All(outcomes, o => Assert.True(o is "CHARGED" or "DEDUCTED" or "INSUFFICIENT_POINTS", o));
        Assert.Equal(300 + 200 * charged - 150 * deducted, await host.Sql.BalanceAsync(member.Id));
        Assert.Equal(await host.Sql.BalanceAsync(member.Id), await host.Sql.ScalarAsync<long>("SELECT sum(amount) FROM points.ledger WHERE member_id = @Id", new { member.Id }));
    }

    private Task<WalletChange> Deduct(long memberId, long amount, string reference) =>
        host.InTransactionAsync(sp => sp.GetRequiredService<IPointWallet>().DeductAsync(memberId, amount, reference, default));
}

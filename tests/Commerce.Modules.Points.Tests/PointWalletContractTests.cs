using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Points.Contracts;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Commerce.Modules.Points.Tests;

/// <summary>The contract the order flows call, inside a transaction of the caller's, as they call it.</summary>
public sealed class PointWalletContractTests(ModuleHost host) : IClassFixture<ModuleHost>
{
    private Task<IReadOnlyList<(string Type, long Amount, long BalanceAfter, string? Reference)>> Ledger(long memberId) =>
        host.Sql.QueryAsync<(string, long, long, string?)>("SELECT type, amount, balance_after, reference FROM points.ledger WHERE member_id = @memberId ORDER BY id", new { memberId });

    [Fact]
    public async Task Deduct_then_refund_write_signed_ledger_entries_with_the_reference()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        await host.Services.ChargeAsync(member.Id, 10_000);

        var deducted = await host.InTransactionAsync(sp => sp.GetRequiredService<IPointWallet>().DeductAsync(member.Id, 4_000, "order-1", CancellationToken.None));
        var refunded = await host.InTransactionAsync(sp => sp.GetRequiredService<IPointWallet>().RefundAsync(member.Id, 4_000, "order-1", CancellationToken.None));

        Assert.Equal((-4_000L, 6_000L), (deducted.Amount, deducted.BalanceAfter));
        Assert.Equal((4_000L, 10_000L), (refunded.Amount, refunded.BalanceAfter));
        Assert.Equal([("CHARGE", 10_000L, 10_000L, null), ("USE", -4_000L, 6_000L, "order-1"), ("REFUND", 4_000L, 10_000L, "order-1")], await Ledger(member.Id));
    }

    [Fact]
    public async Task Deducting_more_than_the_balance_throws_and_writes_nothing()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        await host.Services.ChargeAsync(member.Id, 1_000);

        var error = await Assert.ThrowsAsync<AppException>(() =>
            host.InTransactionAsync(sp => sp.GetRequiredService<IPointWallet>().DeductAsync(member.Id, 1_001, "order-2", CancellationToken.None)));

        Assert.Equal(("INSUFFICIENT_POINTS", 409, 1_000L, 1_001L), (error.Code, error.Status, (long)error.Extensions["balance"]!, (long)error.Extensions["required"]!));
        Assert.Single(await Ledger(member.Id));
    }

    [Fact]
    public async Task Deducting_from_a_member_who_never_charged_is_insufficient_points()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);

        var error = await Assert.ThrowsAsync<AppException>(() =>
            host.InTransactionAsync(sp => sp.GetRequiredService<IPointWallet>().DeductAsync(member.Id, 1, "order-3", CancellationToken.None)));

        Assert.Equal("INSUFFICIENT_POINTS", error.Code);
    }

    [Fact]
    public async Task A_deduction_in_a_transaction_that_rolls_back_leaves_the_wallet_and_ledger_untouched()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        await host.Services.ChargeAsync(member.Id, 5_000);

        await host.InTransactionAsync(sp => sp.GetRequiredService<IPointWallet>().DeductAsync(member.Id, 5_000, "order-4", CancellationToken.None), commit: false);

        Assert.Equal(5_000, await host.Sql.ScalarAsync<long>("SELECT balance FROM points.wallets WHERE member_id = @Id", new { member.Id }));
        Assert.Single(await Ledger(member.Id));
    }

    [Fact]
    public async Task A_deduction_sent_in_the_callers_batch_takes_the_amount_and_the_next_statement_reads_its_entry_with_lastval()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        await host.Services.ChargeAsync(member.Id, 10_000);

        var (change, next) = await host.InTransactionAsync(sp => InBatchAsync(sp, member.Id, 4_000, "order-5", "SELECT lastval()"));

        Assert.Equal((-4_000L, 6_000L, change.LedgerEntryId), (change.Amount, change.BalanceAfter, next));
        Assert.Equal(change.LedgerEntryId, await host.Sql.ScalarAsync<long>("SELECT id FROM points.ledger WHERE reference = 'order-5'"));
    }

    [Fact]
    public async Task A_deduction_sent_in_the_callers_batch_short_of_points_is_insufficient_points_and_writes_nothing()
    {
        var member = await TestMembers.InsertOneAsync(host.Sql);
        await host.Services.ChargeAsync(member.Id, 1_000);

        var error = await Assert.ThrowsAsync<AppException>(() => host.InTransactionAsync(sp => InBatchAsync(sp, member.Id, 1_001, "order-6", "SELECT 0::bigint")));

        Assert.Equal(("INSUFFICIENT_POINTS", 1_000L, 1_001L), (error.Code, (long)error.Extensions["balance"]!, (long)error.Extensions["required"]!));
        Assert.Single(await Ledger(member.Id));
    }

    /// <summary>The deduction, then a statement of the caller's, in one batch on the caller's transaction.</summary>
    private static async Task<(WalletChange Change, long Next)> InBatchAsync(IServiceProvider services, long memberId, long amount, string reference, string next)
    {
        var session = services.GetRequiredService<DbSession>();
        await using var batch = new NpgsqlBatch(session.Connection, session.Transaction);
        var deduction = services.GetRequiredService<IPointWallet>().Deduct(batch, memberId, amount, reference);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(next));
        await using var results = await batch.ExecuteReaderAsync();
        var change = await deduction.ReadAsync(results, CancellationToken.None);
        await results.NextResultAsync();
        await results.ReadAsync();
        return (change, results.GetInt64(0));
    }
}

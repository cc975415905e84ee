using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Catalog.Contracts;
using Commerce.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Commerce.Modules.Catalog.Tests;

/// <summary>IProductStock as the order flows call it: inside a transaction of their own.</summary>
public sealed class ProductStockContractTests(ModuleHost host) : IClassFixture<ModuleHost>
{
    [Fact]
    public async Task LockAsync_returns_existing_products_in_ascending_id_and_leaves_out_missing_ones()
    {
        var first = await host.Services.NewProductAsync(stock: 4, price: 700, name: "First");
        var second = await host.Services.NewProductAsync(stock: 0, status: "DISCONTINUED", name: "Second");

        var locked = await Stock(s => s.LockAsync([second.Id, 999_999, first.Id, second.Id], default));

        Assert.Equal(
            [new ProductSnapshot(first.Id, "First", "ON_SALE", 700, 4), new ProductSnapshot(second.Id, "Second", "DISCONTINUED", 1_000, 0)],
            locked);
        Assert.Empty(await Stock(s => s.LockAsync([], default)));
    }

    [Fact]
    public async Task LockAsync_holds_the_rows_until_the_transaction_ends()
    {
        var product = await host.Services.NewProductAsync();
        var locked = new TaskCompletionSource();
        var release = new TaskCompletionSource();

        var holder = host.InTransactionAsync(async sp =>
        {
            await sp.GetRequiredService<IProductStock>().LockAsync([product.Id], default);
            locked.SetResult();
            await release.Task;
            return true;
        });
        await locked.Task;
        var error = await Record.ExceptionAsync(() => host.Sql.ExecuteAsync(
            "SET lock_timeout = '200ms'; UPDATE catalog.products SET stock = 0 WHERE id = @Id", new { product.Id }));
        release.SetResult();
        await holder;

        Assert.Contains("lock timeout", error?.Message);
    }

    [Fact]
    public async Task LockAndReserveAsync_takes_the_quantities_and_returns_the_products_after_it()
    {
        var a = await host.Services.NewProductAsync(stock: 5, price: 1_200, name: "A");
        var b = await host.Services.NewProductAsync(stock: 2, price: 300, name: "B");

        var reserved = await Stock(s => s.LockAndReserveAsync([new StockLine(b.Id, 2), new StockLine(a.Id, 3)], default));

        Assert.Equal([new ProductSnapshot(a.Id, "A", "ON_SALE", 1_200, 2), new ProductSnapshot(b.Id, "B", "ON_SALE", 300, 0)], reserved);
        Assert.Equal((2, 0), (await host.Sql.StockAsync(a.Id), await host.Sql.StockAsync(b.Id)));
    }

    [Fact]
    public async Task LockAndReserveAsync_reports_a_missing_product_before_anything_else_and_changes_nothing()
    {
        var shortProduct = await host.Services.NewProductAsync(stock: 1);
        var discontinued = await host.Services.NewProductAsync(status: "DISCONTINUED");
        var fine = await host.Services.NewProductAsync(stock: 5);

        var error = await ReserveFails(new StockLine(fine.Id, 1), new StockLine(shortProduct.Id, 9), new StockLine(discontinued.Id, 1),
            new StockLine(888_888, 1), new StockLine(777_777, 1));

        Assert.Equal(("PRODUCT_NOT_FOUND", 404, 888_888L), (error.Code, error.Status, (long)error.Extensions["productId"]!));
        Assert.Equal((5, 1), (await host.Sql.StockAsync(fine.Id), await host.Sql.StockAsync(shortProduct.Id)));
    }

    [Fact]
    public async Task LockAndReserveAsync_reports_a_discontinued_product_before_short_stock_and_changes_nothing()
    {
        var shortProduct = await host.Services.NewProductAsync(stock: 1);
        var discontinued = await host.Services.NewProductAsync(stock: 10, status: "DISCONTINUED");
        var fine = await host.Services.NewProductAsync(stock: 5);

        var error = await ReserveFails(new StockLine(fine.Id, 1), new StockLine(shortProduct.Id, 9), new StockLine(discontinued.Id, 1));

        Assert.Equal(("PRODUCT_DISCONTINUED", 409, discontinued.Id), (error.Code, error.Status, (long)error.Extensions["productId"]!));
        Assert.Equal(
            (5, 1, 10),
            (await host.Sql.StockAsync(fine.Id), await host.Sql.StockAsync(shortProduct.Id), await host.Sql.StockAsync(discontinued.Id)));
    }

    [Fact]
    public async Task LockAndReserveAsync_with_short_stock_is_OUT_OF_STOCK_with_requested_and_available_and_changes_nothing()
    {
        var fine = await host.Services.NewProductAsync(stock: 5);
        var shortProduct = await host.Services.NewProductAsync(stock: 2);

        var error = await ReserveFails(new StockLine(fine.Id, 5), new StockLine(shortProduct.Id, 3));

        Assert.Equal(("OUT_OF_STOCK", 409), (error.Code, error.Status));
        Assert.Equal((shortProduct.Id, 3, 2), ((long)error.Extensions["productId"]!, (int)error.Extensions["requested"]!, (int)error.Extensions["available"]!));
        Assert.Equal((5, 2), (await host.Sql.StockAsync(fine.Id), await host.Sql.StockAsync(shortProduct.Id)));
    }

    [Fact]
    public async Task LockAndReserveAsync_of_exactly_the_stock_leaves_zero()
    {
        var product = await host.Services.NewProductAsync(stock: 3);

        var reserved = await Stock(s => s.LockAndReserveAsync([new StockLine(product.Id, 3)], default));

        Assert.Equal(0, Assert.Single(reserved).Stock);
    }

    [Fact]
    public async Task LockAndReserveAsync_rolled_back_leaves_the_stock_as_it_was()
    {
        var product = await host.Services.NewProductAsync(stock: 3);

        await host.InTransactionAsync(sp => sp.GetRequiredService<IProductStock>().LockAndReserveAsync([new StockLine(product.Id, 2)], default), commit: false);

        Assert.Equal(3, await host.Sql.StockAsync(product.Id));
    }

    [Fact]
    public async Task SellOrRaise_sent_with_the_commit_takes_the_stock_and_records_the_sale_of_products_still_as_read()
    {
        var a = await host.Services.NewProductAsync(stock: 5, price: 1_200, name: "A");
        var b = await host.Services.NewProductAsync(stock: 2, price: 300, name: "B");
        var paidAt = new DateTimeOffset(2030, 4, 2, 8, 0, 0, TimeSpan.FromHours(9));
        var read = await Stock(s => s.LockAsync([a.Id, b.Id], default));

        await SellWithCommit([new StockLine(b.Id, 2), new StockLine(a.Id, 3)], read, paidAt);

        Assert.Equal((2, 0), (await host.Sql.StockAsync(a.Id), await host.Sql.StockAsync(b.Id)));
        Assert.Equal([(new DateTime(2030, 4, 1), a.Id, 3L), (new DateTime(2030, 4, 1), b.Id, 2L)], await Figures(a.Id, b.Id));
    }

    [Fact]
    public async Task SellOrRaise_raises_for_the_first_line_of_the_first_kind_discontinued_short_then_changed_and_takes_nothing()
    {
        var repriced = await host.Services.NewProductAsync(stock: 5, price: 1_000);
        var shortProduct = await host.Services.NewProductAsync(stock: 2);
        var discontinued = await host.Services.NewProductAsync(stock: 5);
        var read = await Stock(s => s.LockAsync([repriced.Id, shortProduct.Id, discontinued.Id], default));
        await host.Sql.ExecuteAsync("UPDATE catalog.products SET price = 1100 WHERE id = @Id", new { repriced.Id });
        await host.Sql.ExecuteAsync("UPDATE catalog.products SET status = 'DISCONTINUED' WHERE id = @Id", new { discontinued.Id });

        var all = await Refused([new StockLine(repriced.Id, 1), new StockLine(shortProduct.Id, 3), new StockLine(discontinued.Id, 1)], read);
        var shortOrChanged = await Refused([new StockLine(repriced.Id, 1), new StockLine(shortProduct.Id, 3)], read);
        var changed = await Refused([new StockLine(repriced.Id, 1), new StockLine(shortProduct.Id, 1)], read);

        Assert.Equal((DatabaseRefusal.ConflictSqlState, "PRODUCT_DISCONTINUED"), (all.SqlState, all.MessageText));
        Assert.Equal($$"""{"detail" : "Product {{discontinued.Id}} is no longer on sale.", "productId" : {{discontinued.Id}}}""", all.Hint);
        Assert.Equal((DatabaseRefusal.ConflictSqlState, "OUT_OF_STOCK"), (shortOrChanged.SqlState, shortOrChanged.MessageText));
        Assert.Equal(
            $$"""{"detail" : "Product {{shortProduct.Id}} has 2 in stock; 3 were requested.", "productId" : {{shortProduct.Id}}, "requested" : 3, "available" : 2}""",
            shortOrChanged.Hint);
        Assert.Equal(DatabaseRefusal.StaleReadSqlState, changed.SqlState);
        Assert.Equal((5, 2, 5), (await host.Sql.StockAsync(repriced.Id), await host.Sql.StockAsync(shortProduct.Id), await host.Sql.StockAsync(discontinued.Id)));
        Assert.Empty(await Figures(repriced.Id, shortProduct.Id, discontinued.Id));
    }

    private Task<int> SellWithCommit(StockLine[] lines, IReadOnlyList<ProductSnapshot> read, DateTimeOffset paidAt) =>
        host.InTransactionAsync(sp =>
        {
            sp.GetRequiredService<DbSession>().BeforeCommit(sp.GetRequiredService<IProductStock>().SellOrRaise(lines, read, paidAt));
            return Task.FromResult(0);
        });

    private async Task<PostgresException> Refused(StockLine[] lines, IReadOnlyList<ProductSnapshot> read) =>
        await Assert.ThrowsAsync<PostgresException>(() => SellWithCommit(lines, read, DateTimeOffset.UtcNow));

    [Fact]
    public async Task Lines_naming_one_product_twice_are_refused_by_every_method()
    {
        var product = await host.Services.NewProductAsync(stock: 10);
        StockLine[] lines = [new(product.Id, 1), new(product.Id, 2)];

        await Assert.ThrowsAsync<ArgumentException>(() => Stock(s => s.LockAndReserveAsync(lines, default)));
        await Assert.ThrowsAsync<ArgumentException>(() => Stock(async s => { await s.ReleaseAsync(lines, default); return 0; }));
        await Assert.ThrowsAsync<ArgumentException>(() => Stock(async s => { await s.RecordSoldAsync(lines, DateTimeOffset.UtcNow, default); return 0; }));
        await Assert.ThrowsAsync<ArgumentException>(() => Stock(async s => { await s.RevokeSoldAsync(lines, DateTimeOffset.UtcNow, default); return 0; }));
        Assert.Equal(10, await host.Sql.StockAsync(product.Id));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public async Task Lines_with_a_quantity_below_one_are_refused(int quantity)
    {
        var product = await host.Services.NewProductAsync(stock: 10);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Stock(s => s.LockAndReserveAsync([new StockLine(product.Id, quantity)], default)));
        Assert.Equal(10, await host.Sql.StockAsync(product.Id));
    }

    [Fact]
    public async Task ReleaseAsync_puts_the_quantities_back_even_on_a_discontinued_product()
    {
        var onSale = await host.Services.NewProductAsync(stock: 5);
        var discontinued = await host.Services.NewProductAsync(stock: 1);
        await Stock(s => s.LockAndReserveAsync([new StockLine(onSale.Id, 4), new StockLine(discontinued.Id, 1)], default));
        await host.SendAsync(new Features.UpdateProduct.UpdateProduct(discontinued.Id, Status: "DISCONTINUED"));

        await Stock(async s => { await s.ReleaseAsync([new StockLine(discontinued.Id, 1), new StockLine(onSale.Id, 4)], default); return 0; });

        Assert.Equal((5, 1), (await host.Sql.StockAsync(onSale.Id), await host.Sql.StockAsync(discontinued.Id)));
    }

    [Fact]
    public async Task ReleaseAsync_of_a_missing_product_is_PRODUCT_NOT_FOUND_and_changes_nothing()
    {
        var product = await host.Services.NewProductAsync(stock: 5);

        var error = await Assert.ThrowsAsync<AppException>(() =>
            Stock(async s => { await s.ReleaseAsync([new StockLine(product.Id, 1), new StockLine(555_555, 1)], default); return 0; }));

        Assert.Equal(("PRODUCT_NOT_FOUND", 555_555L), (error.Code, (long)error.Extensions["productId"]!));
        Assert.Equal(5, await host.Sql.StockAsync(product.Id));
    }

    [Fact]
    public async Task RecordSoldAsync_adds_up_the_units_per_UTC_day_of_payment()
    {
        var a = await host.Services.NewProductAsync();
        var b = await host.Services.NewProductAsync();
        var lateEvening = new DateTimeOffset(2030, 3, 1, 23, 30, 0, TimeSpan.Zero);
        var nextMorningInSeoul = new DateTimeOffset(2030, 3, 2, 8, 0, 0, TimeSpan.FromHours(9));

        await Stock(async s => { await s.RecordSoldAsync([new StockLine(a.Id, 2), new StockLine(b.Id, 1)], lateEvening, default); return 0; });
        await Stock(async s => { await s.RecordSoldAsync([new StockLine(a.Id, 3)], nextMorningInSeoul, default); return 0; });
        await Stock(async s => { await s.RecordSoldAsync([new StockLine(a.Id, 1)], lateEvening.AddHours(1), default); return 0; });

        Assert.Equal(
            [(new DateTime(2030, 3, 1), a.Id, 5L), (new DateTime(2030, 3, 1), b.Id, 1L), (new DateTime(2030, 3, 2), a.Id, 1L)],
            await Figures(a.Id, b.Id));
    }

    [Fact]
    public async Task RecordSoldAsync_of_a_missing_product_is_PRODUCT_NOT_FOUND_and_records_nothing()
    {
        var product = await host.Services.NewProductAsync();

        var error = await Assert.ThrowsAsync<AppException>(() =>
            Stock(async s => { await s.RecordSoldAsync([new StockLine(product.Id, 1), new StockLine(444_444, 1)], DateTimeOffset.UtcNow, default); return 0; }));

        Assert.Equal("PRODUCT_NOT_FOUND", error.Code);
        Assert.Empty(await Figures(product.Id));
    }

    [Fact]
    public async Task RecordSoldAsync_rolled_back_records_nothing()
    {
        var product = await host.Services.NewProductAsync();

        await host.InTransactionAsync(async sp =>
        {
            await sp.GetRequiredService<IProductStock>().RecordSoldAsync([new StockLine(product.Id, 1)], DateTimeOffset.UtcNow, default);
            return 0;
        }, commit: false);

        Assert.Empty(await Figures(product.Id));
    }

    [Fact]
    public async Task RevokeSoldAsync_takes_units_off_the_day_they_were_paid()
    {
        var a = await host.Services.NewProductAsync();
        var b = await host.Services.NewProductAsync();
        var paidAt = new DateTimeOffset(2030, 5, 5, 12, 0, 0, TimeSpan.Zero);
        await Stock(async s => { await s.RecordSoldAsync([new StockLine(a.Id, 4), new StockLine(b.Id, 2)], paidAt, default); return 0; });
        await Stock(async s => { await s.RecordSoldAsync([new StockLine(a.Id, 1)], paidAt.AddDays(1), default); return 0; });

        await Stock(async s => { await s.RevokeSoldAsync([new StockLine(b.Id, 2), new StockLine(a.Id, 3)], paidAt, default); return 0; });

        Assert.Equal(
            [(new DateTime(2030, 5, 5), a.Id, 1L), (new DateTime(2030, 5, 5), b.Id, 0L), (new DateTime(2030, 5, 6), a.Id, 1L)],
            await Figures(a.Id, b.Id));
    }

    [Fact]
    public async Task RevokeSoldAsync_of_more_than_was_recorded_that_day_throws_and_changes_nothing()
    {
        var a = await host.Services.NewProductAsync();
        var b = await host.Services.NewProductAsync();
        var paidAt = new DateTimeOffset(2030, 6, 1, 12, 0, 0, TimeSpan.Zero);
        await Stock(async s => { await s.RecordSoldAsync([new StockLine(a.Id, 4), new StockLine(b.Id, 1)], paidAt, default); return 0; });

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Stock(async s => { await s.RevokeSoldAsync([new StockLine(a.Id, 1), new StockLine(b.Id, 2)], paidAt, default); return 0; }));
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Stock(async s => { await s.RevokeSoldAsync([new StockLine(a.Id, 1)], paidAt.AddDays(1), default); return 0; }));

        Assert.Equal([(new DateTime(2030, 6, 1), a.Id, 4L), (new DateTime(2030, 6, 1), b.Id, 1L)], await Figures(a.Id, b.Id));
    }

    private async Task<AppException> ReserveFails(params StockLine[] lines) =>
        await Assert.ThrowsAsync<AppException>(() => Stock(s => s.LockAndReserveAsync(lines, default)));

    private Task<T> Stock<T>(Func<IProductStock, Task<T>> work) =>
        host.InTransactionAsync(sp => work(sp.GetRequiredService<IProductStock>()));

    private Task<IReadOnlyList<(DateTime Day, long ProductId, long Units)>> Figures(params long[] productIds) =>
        host.Sql.QueryAsync<(DateTime Day, long ProductId, long Units)>(
            "SELECT day, product_id, units FROM catalog.product_sales_daily WHERE product_id = ANY(@productIds) ORDER BY day, product_id",
            new { productIds });
}

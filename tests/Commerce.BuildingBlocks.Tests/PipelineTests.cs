using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Testing;
using Dapper;
using MediatR;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.BuildingBlocks.Tests;

public sealed class PipelineTests(PipelineTests.Host host) : IClassFixture<PipelineTests.Host>
{
    public sealed class Host : ModuleHost
    {
        protected override void ConfigureServices(IServiceCollection services) =>
            services.AddCommerceModule("pipeline_tests", typeof(PipelineTests).Assembly);
    }

    public sealed record Probe(string StreamId) : IIntegrationEvent;

    /// <summary>Writes a row and an event, then fails when asked to: everything or nothing must remain.</summary>
    public sealed record WriteThenMaybeFail(string Key, bool Fail) : ICommand<long>;

    internal sealed class WriteThenMaybeFailHandler(DbSession session, Outbox.Outbox outbox) : IRequestHandler<WriteThenMaybeFail, long>
    {
        public async Task<long> Handle(WriteThenMaybeFail command, CancellationToken ct)
        {
            await session.Connection.ExecuteAsync(session.Command(
                "CREATE TABLE IF NOT EXISTS public.probe (key text PRIMARY KEY); INSERT INTO public.probe VALUES (@Key)", command, ct));
            outbox.Record(new Probe(command.Key));
            return command.Fail ? throw new InvalidOperationException("failed after writing") : 1;
        }
    }

    /// <summary>
    /// Locks two rows in the given order; the first two attempts wait until both hold their first row, so they
    /// deadlock whatever the scheduling (a fixed pause let one finish first on a busy machine).
    /// </summary>
    public sealed record LockTwo(long First, long Second, string Key) : ICommand<int>;

    internal sealed class LockTwoHandler(DbSession session, Outbox.Outbox outbox) : IRequestHandler<LockTwo, int>
    {
        public static int Attempts;
        private static int _holdingFirst;
        private static TaskCompletionSource _bothHoldFirst = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public static void Reset()
        {
            Attempts = 0;
            _holdingFirst = 0;
            _bothHoldFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        public async Task<int> Handle(LockTwo command, CancellationToken ct)
        {
            var attempt = Interlocked.Increment(ref Attempts);
            await session.Connection.ExecuteAsync(session.Command("SELECT 1 FROM public.deadlock WHERE id = @First FOR UPDATE", command, ct));
            if (attempt <= 2)
            {
                if (Interlocked.Increment(ref _holdingFirst) == 2)
                {
                    _bothHoldFirst.TrySetResult();
                }

                await _bothHoldFirst.Task.WaitAsync(TimeSpan.FromSeconds(30), ct);
            }

            await session.Connection.ExecuteAsync(session.Command("UPDATE public.deadlock SET hits = hits + 1 WHERE id = @Second", command, ct));
            outbox.Record(new Probe(command.Key));
            return 1;
        }
    }

    /// <summary>Sends another command from inside its handler: the inner one must join the outer transaction.</summary>
    public sealed record Outer(string Key, bool FailAfterInner) : ICommand<int>;

    internal sealed class OuterHandler(IMediator mediator) : IRequestHandler<Outer, int>
    {
        public async Task<int> Handle(Outer command, CancellationToken ct)
        {
            await mediator.Send(new WriteThenMaybeFail(command.Key, Fail: false), ct);
            return command.FailAfterInner ? throw new InvalidOperationException("outer failed") : 1;
        }
    }

    private Task<long> Count(string table, string key) =>
        host.Sql.ScalarAsync<long>($"SELECT count(*) FROM {table} WHERE {(table == "platform.outbox" ? "stream_id" : "key")} = @key", new { key });

    [Fact]
    public async Task A_command_that_succeeds_commits_its_rows_and_its_events_together()
    {
        await host.SendAsync(new WriteThenMaybeFail("ok", Fail: false));

        Assert.Equal(1, await Count("public.probe", "ok"));
        Assert.Equal(1, await Count("platform.outbox", "ok"));
    }

    [Fact]
    public async Task A_command_that_throws_leaves_neither_rows_nor_events()
    {
        await host.SendAsync(new WriteThenMaybeFail("seed", Fail: false));

        await Assert.ThrowsAsync<InvalidOperationException>(() => host.SendAsync(new WriteThenMaybeFail("boom", Fail: true)));

        Assert.Equal(0, await Count("public.probe", "boom"));
        Assert.Equal(0, await Count("platform.outbox", "boom"));
    }

    [Fact]
    public async Task A_nested_command_joins_the_outer_transaction_and_rolls_back_with_it()
    {
        await host.SendAsync(new WriteThenMaybeFail("seed2", Fail: false));

        await Assert.ThrowsAsync<InvalidOperationException>(() => host.SendAsync(new Outer("nested", FailAfterInner: true)));
        await host.SendAsync(new Outer("nested-ok", FailAfterInner: false));

        Assert.Equal(0, await Count("public.probe", "nested"));
        Assert.Equal(0, await Count("platform.outbox", "nested"));
        Assert.Equal(1, await Count("public.probe", "nested-ok"));
    }

    [Fact]
    public async Task A_deadlock_is_retried_as_a_whole_command_and_both_succeed_with_one_event_each()
    {
        await host.Sql.ExecuteAsync("CREATE TABLE public.deadlock (id bigint PRIMARY KEY, hits int NOT NULL); INSERT INTO public.deadlock VALUES (1, 0), (2, 0)");
        LockTwoHandler.Reset();

        var results = await Concurrently.RunAsync(2, i => host.SendAsync(i == 0 ? new LockTwo(1, 2, "dl-a") : new LockTwo(2, 1, "dl-b")));

        Assert.Equal([1, 1], results);
        Assert.True(LockTwoHandler.Attempts >= 3, $"expected a retry, saw {LockTwoHandler.Attempts} attempts");
        Assert.Equal(2, await host.Sql.ScalarAsync<long>("SELECT sum(hits) FROM public.deadlock"));
        Assert.Equal(1, await Count("platform.outbox", "dl-a"));
        Assert.Equal(1, await Count("platform.outbox", "dl-b"));
    }
}

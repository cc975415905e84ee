using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Testing;
using Dapper;
using FluentValidation;
using MediatR;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.BuildingBlocks.Tests;

/// <summary>
/// Pins the table in Requests.cs: what the pipeline gives each kind of request (validation, connection, transaction,
/// Idempotency-Key, outbox), seen from inside a handler of each kind.
/// </summary>
public sealed class RequestKindTests(RequestKindTests.Host host) : IClassFixture<RequestKindTests.Host>
{
    public sealed class Host : ModuleHost
    {
        protected override void ConfigureServices(IServiceCollection services) =>
            services.AddCommerceModule("request_kind_tests", typeof(RequestKindTests).Assembly);
    }

    /// <summary>What a handler saw: whether a connection and a transaction were open when it started.</summary>
    public sealed record Seen(bool Open, bool InTransaction, int Validated);

    public sealed record Recorded(string StreamId) : IIntegrationEvent;

    public sealed record AQuery(string Key) : IQuery<Seen>;

    public sealed record ALazyQuery(string Key) : IQuery<Seen>, IOpensConnectionWhenNeeded;

    public sealed record ACommand(string Key, long MemberId = 1, string? IdempotencyKey = null) : ICommand<Seen>, IIdempotentCommand;

    public sealed record AMultiStep(string Key) : IMultiStepCommand<Seen>;

    private static int _validated;
    private static int _handled;

    internal abstract class KeyRequired<T> : AbstractValidator<T>
    {
        protected KeyRequired(Func<T, string> key) => RuleFor(r => key(r)).Must(_ => Interlocked.Increment(ref _validated) > 0).NotEmpty().OverridePropertyName("Key");
    }

    internal sealed class AQueryValidator() : KeyRequired<AQuery>(r => r.Key);

    internal sealed class ALazyQueryValidator() : KeyRequired<ALazyQuery>(r => r.Key);

    internal sealed class ACommandValidator() : KeyRequired<ACommand>(r => r.Key);

    internal sealed class AMultiStepValidator() : KeyRequired<AMultiStep>(r => r.Key);

    private static Seen Look(DbSession session) => new(session.IsOpen, session.Transaction is not null, _validated);

    internal sealed class AQueryHandler(DbSession session) : IRequestHandler<AQuery, Seen>
    {
        public Task<Seen> Handle(AQuery request, CancellationToken ct) => Task.FromResult(Look(session));
    }

    internal sealed class ALazyQueryHandler(DbSession session) : IRequestHandler<ALazyQuery, Seen>
    {
        public async Task<Seen> Handle(ALazyQuery request, CancellationToken ct)
        {
            var seen = Look(session);
            await session.OpenAsync(ct);
            return seen;
        }
    }

    internal sealed class ACommandHandler(DbSession session, Outbox.Outbox outbox) : IRequestHandler<ACommand, Seen>
    {
        public Task<Seen> Handle(ACommand request, CancellationToken ct)
        {
            Interlocked.Increment(ref _handled);
            outbox.Record(new Recorded(request.Key));
            return Task.FromResult(Look(session));
        }
    }

    /// <summary>Two steps: one statement of its own on the session, then a command through the mediator.</summary>
    internal sealed class AMultiStepHandler(DbSession session, IMediator mediator) : IRequestHandler<AMultiStep, Seen>
    {
        public async Task<Seen> Handle(AMultiStep request, CancellationToken ct)
        {
            var seen = Look(session);
            await session.OpenAsync(ct);
            await session.Connection.ExecuteAsync(session.Command("SELECT 1", null, ct));
            await session.CloseAsync();
            var step = await mediator.Send(new ACommand(request.Key + "-step"), ct);
            Assert.True(step is { Open: true, InTransaction: true });
            await session.OpenAsync(ct); // left open on purpose: the pipeline must close it
            return seen;
        }
    }

    private async Task<(Seen Seen, bool OpenAfter, int Validations)> SendAsync(IRequest<Seen> request)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var before = _validated;
        var seen = await scope.ServiceProvider.GetRequiredService<IMediator>().Send(request);
        return (seen, scope.ServiceProvider.GetRequiredService<DbSession>().IsOpen, _validated - before);
    }

    private Task<long> Events(string key) => host.Sql.ScalarAsync<long>("SELECT count(*) FROM platform.outbox WHERE stream_id = @key", new { key });

    [Fact]
    public async Task A_query_is_validated_and_gets_an_open_connection_without_a_transaction()
    {
        var (seen, openAfter, validations) = await SendAsync(new AQuery("q"));

        Assert.Equal((true, false, false, 1), (seen.Open, seen.InTransaction, openAfter, validations));
        await Assert.ThrowsAsync<ValidationException>(() => SendAsync(new AQuery("")));
    }

    [Fact]
    public async Task A_query_that_opens_its_connection_when_needed_gets_none_and_its_own_is_closed()
    {
        var (seen, openAfter, validations) = await SendAsync(new ALazyQuery("lazy"));

        Assert.Equal((false, false, false, 1), (seen.Open, seen.InTransaction, openAfter, validations));
    }

    [Fact]
    public async Task A_command_gets_a_transaction_its_events_and_a_replay_for_a_repeated_key()
    {
        var handledBefore = _handled;

        var (seen, openAfter, validations) = await SendAsync(new ACommand("c", IdempotencyKey: "kind-key"));
        var (replayed, _, _) = await SendAsync(new ACommand("c", IdempotencyKey: "kind-key"));

        Assert.Equal((true, true, false, 1), (seen.Open, seen.InTransaction, openAfter, validations));
        Assert.Equal(seen, replayed);
        Assert.Equal(1, _handled - handledBefore);
        Assert.Equal(1, await Events("c"));
        await Assert.ThrowsAsync<ValidationException>(() => SendAsync(new ACommand("c", IdempotencyKey: "not a valid key \u00e9")));
    }

    [Fact]
    public async Task A_multi_step_command_gets_nothing_opened_its_steps_commit_and_what_it_left_open_is_closed()
    {
        var (seen, openAfter, validations) = await SendAsync(new AMultiStep("m"));

        Assert.Equal((false, false, false), (seen.Open, seen.InTransaction, openAfter));
        Assert.Equal(2, validations); // its own and its step's
        Assert.Equal(1, await Events("m-step"));
    }
}

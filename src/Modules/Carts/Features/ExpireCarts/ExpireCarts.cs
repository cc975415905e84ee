using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Hosting;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Modules.Carts.Features.ExpireCarts;

/// <summary>
/// Deletes up to <see cref="Limit"/> abandoned carts (with their lines): guest carts unchanged since
/// <see cref="GuestsBefore"/>, members' carts unchanged since <see cref="MembersBefore"/> when that is set. The carts
/// are claimed with SKIP LOCKED, so several instances share the work, and a cart a shopper is changing or checking
/// out right now (its row locked) is left alone; the re-check on the locked row keeps a cart touched meanwhile.
/// </summary>
internal sealed record ExpireCarts(DateTimeOffset GuestsBefore, DateTimeOffset? MembersBefore, int Limit) : ICommand<int>;

internal sealed class ExpireCartsHandler(DbSession session) : IRequestHandler<ExpireCarts, int>
{
    private const string Sql = """
        DELETE FROM carts.carts WHERE id IN (
            SELECT id FROM carts.carts
            WHERE (member_id IS NULL AND updated_at < @GuestsBefore)
               OR (member_id IS NOT NULL AND updated_at < @MembersBefore)
            ORDER BY updated_at
            LIMIT @Limit
            FOR UPDATE SKIP LOCKED)
        """;

    public Task<int> Handle(ExpireCarts command, CancellationToken ct) =>
        session.Connection.ExecuteAsync(session.Command(Sql, command, ct));
}

internal sealed class CartExpiryJob(IServiceScopeFactory scopes, IOptions<CartsOptions> options, TimeProvider clock, ILogger<CartExpiryJob> logger)
    : PeriodicJob(scopes, logger)
{
    private const int BatchSize = 500;

    protected override TimeSpan Interval => options.Value.ExpiryInterval;

    protected override async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var mediator = services.GetRequiredService<IMediator>();
        var now = clock.GetUtcNow();
        var settings = options.Value;

        // Short transactions, one batch each, until a batch comes back short.
        int deleted;
        do
        {
            deleted = await mediator.Send(new ExpireCarts(now - settings.GuestCartLifetime, now - settings.MemberCartLifetime, BatchSize), ct);
            if (deleted > 0)
            {
                logger.LogInformation("Deleted {Count} abandoned carts", deleted);
            }
        }
        while (deleted == BatchSize);
    }
}

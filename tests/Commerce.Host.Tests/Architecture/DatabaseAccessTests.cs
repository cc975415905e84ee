using Commerce.BuildingBlocks.Data;
using Commerce.Testing;
using Npgsql;
using static ArchUnitNET.Fluent.ArchRuleDefinition;

namespace Commerce.Host.Tests.Architecture;

/// <summary>
/// Every database access goes through a scope's <see cref="DbSession"/>: in a request the pipeline opens it, outside
/// one (the member check, background jobs, readiness figures) <see cref="DbSession.RunAsync{T}"/> does. So every
/// statement runs on the one pool with the session's timeouts. The exceptions, each for its own reason, are the
/// list below (the README's design section says why); a new user of the data source has to join it knowingly.
/// </summary>
public sealed class DatabaseAccessTests(CommerceApp app) : IClassFixture<CommerceApp>
{
    private static readonly string[] Exceptions =
    [
        // The session itself, and the composition that builds the data sources.
        "Commerce.BuildingBlocks.Data.DbSession",
        "Commerce.BuildingBlocks.CommerceBuildingBlocks",
        "Commerce.BuildingBlocks.Outbox.OutboxComposition",
        // Before the host serves anything: migrations and startup tasks, in no request scope.
        "Commerce.BuildingBlocks.Data.MigrationRunner",
        "Commerce.BuildingBlocks.Security.DataProtectionKeyRing",
        "Commerce.Modules.Members.Startup.SeedAccounts",
        // The framework's key ring calls its repository outside any scope.
        "Commerce.BuildingBlocks.Security.PostgresXmlRepository",
        // The relay's batches hold a transaction open while they deliver: its own pool, one connection per lane.
        "Commerce.BuildingBlocks.Outbox.OutboxRelay",
        // The member-access listener holds one connection for as long as the host runs (LISTEN, then waits): its own
        // pool of one, which its module builds, so it never takes a connection from requests.
        "Commerce.Modules.Members.Auth.MemberAccessListener",
        "Commerce.Modules.Members.MembersModule",
        // An outside system (the simulated gateway), written outside our transactions on purpose.
        "Commerce.Modules.Orders.Payments.SimulatedPaymentGateway",
        // Reads only the pool's size, to size the write admission.
        "Commerce.Host.RateLimiting.OverloadGate",
    ];

    [Fact]
    public void Only_the_listed_exceptions_use_a_data_source_directly()
    {
        var architecture = HostArchitecture.Of(app.Services);

        var users = Types().That().DependOnAny(typeof(NpgsqlDataSource)).GetObjects(architecture)
            .Select(t => Outermost(t.FullName))
            .ToHashSet();

        // The scan sees real uses: the session opens its connections from the data source.
        Assert.Contains(typeof(DbSession).FullName!, users);
        Assert.Empty(users.Except(Exceptions).Order());
    }

    /// <summary>A lambda's closure or an async method's state machine counts as the type that declares it.</summary>
    private static string Outermost(string fullName) => fullName.Split('/', '+')[0];
}

using Commerce.BuildingBlocks.Data;
using Npgsql;

namespace Commerce.BuildingBlocks.Tests;

public sealed class ConnectionStringDefaultsTests
{
    private static readonly DatabaseOptions Options = new() { MaxPoolSize = 30, MaxAutoPrepare = 64 };

    private static NpgsqlConnectionStringBuilder Applied(string connectionString, int? poolSize = null) =>
        new(ConnectionStringDefaults.Apply(connectionString, Options, poolSize, "commerce-relay"));

    [Fact]
    public void A_connection_string_without_them_gets_the_configured_pool_size_and_auto_prepare()
    {
        var applied = Applied("Host=127.0.0.1;Database=commerce");
        Assert.Equal((30, 64, "commerce-relay"), (applied.MaxPoolSize, applied.MaxAutoPrepare, applied.ApplicationName));
    }

    [Fact]
    public void The_relay_asks_for_its_own_pool_size() =>
        Assert.Equal(4, Applied("Host=127.0.0.1", poolSize: 4).MaxPoolSize);

    [Theory]
    [InlineData("Host=127.0.0.1;Maximum Pool Size=100;Max Auto Prepare=0;Application Name=shop")]
    [InlineData("Host=127.0.0.1;maxpoolsize=100;maxautoprepare=0;applicationname=shop")]
    public void What_the_connection_string_sets_wins(string connectionString)
    {
        var applied = Applied(connectionString, poolSize: 4);
        Assert.Equal((100, 0, "shop"), (applied.MaxPoolSize, applied.MaxAutoPrepare, applied.ApplicationName));
    }

    [Fact]
    public void A_keepalive_only_where_asked_for_and_the_connection_string_sets_none()
    {
        int KeepAlive(string connectionString, TimeSpan? keepAlive) =>
            new NpgsqlConnectionStringBuilder(ConnectionStringDefaults.Apply(connectionString, Options, keepAlive: keepAlive)).KeepAlive;

        Assert.Equal(0, KeepAlive("Host=127.0.0.1", null));
        Assert.Equal(10, KeepAlive("Host=127.0.0.1", TimeSpan.FromSeconds(10)));
        Assert.Equal(30, KeepAlive("Host=127.0.0.1;Keepalive=30", TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Pooled_connections_are_not_reset_unless_the_connection_string_asks_for_it()
    {
        Assert.True(Applied("Host=127.0.0.1").NoResetOnClose);
        Assert.False(Applied("Host=127.0.0.1;No Reset On Close=false").NoResetOnClose);
    }

    [Fact]
    public void Connections_carry_the_command_timeouts_and_the_connection_strings_own_options_come_after_them()
    {
        Assert.Equal("-c lock_timeout=3000 -c statement_timeout=15000", Applied("Host=127.0.0.1").Options);
        Assert.Equal("-c lock_timeout=3000 -c statement_timeout=15000 -c statement_timeout=1000",
            Applied("Host=127.0.0.1;Options=-c statement_timeout=1000").Options);
    }
}

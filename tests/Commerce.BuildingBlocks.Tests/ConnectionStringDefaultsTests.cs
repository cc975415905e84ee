using Commerce.BuildingBlocks.Data;
using Npgsql;

namespace Commerce.BuildingBlocks.Tests;

public sealed class ConnectionStringDefaultsTests
{
    private static int PoolSizeOf(string connectionString) =>
        new NpgsqlConnectionStringBuilder(ConnectionStringDefaults.Apply(connectionString, new DatabaseOptions { MaxPoolSize = 30 })).MaxPoolSize;

    [Fact]
    public void A_connection_string_without_a_pool_size_gets_the_configured_one() =>
        Assert.Equal(30, PoolSizeOf("Host=127.0.0.1;Database=commerce"));

    [Theory]
    [InlineData("Host=127.0.0.1;Maximum Pool Size=100")]
    [InlineData("Host=127.0.0.1;maxpoolsize=100")]
    public void A_pool_size_in_the_connection_string_wins(string connectionString) =>
        Assert.Equal(100, PoolSizeOf(connectionString));
}

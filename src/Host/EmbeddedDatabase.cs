using Commerce.BuildingBlocks;
using Commerce.BuildingBlocks.Hosting;

namespace Commerce.Host;

internal static class EmbeddedDatabase
{
    /// <summary>
    /// Starts PostgreSQL from <c>Commerce:DataDirectory</c>/postgres (default ./.data/postgres) when no
    /// connection string is configured, and points the connection string at it. Disposing it (after the
    /// host has stopped) stops the server.
    /// </summary>
    public static async Task<EmbeddedPostgres?> StartIfNeededAsync(WebApplicationBuilder builder, Serilog.ILogger log)
    {
        var configuration = builder.Configuration;
        if (!string.IsNullOrWhiteSpace(configuration.GetConnectionString(CommerceBuildingBlocks.ConnectionStringName)))
        {
            return null;
        }

        using var loggerFactory = new Serilog.Extensions.Logging.SerilogLoggerFactory(log);
        var dataDirectory = CommerceBuildingBlocks.DataDirectory(configuration);
        try
        {
            var server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
            {
                DataDirectory = Path.Combine(dataDirectory, "postgres"),
                BinDirectory = configuration["Commerce:Postgres:BinDirectory"],
            }, loggerFactory.CreateLogger("Commerce.EmbeddedPostgres"));
            configuration[$"ConnectionStrings:{CommerceBuildingBlocks.ConnectionStringName}"] = server.ConnectionString;
            return server;
        }
        catch (Exception e) when (e is PostgresNotFoundException or InvalidOperationException)
        {
            // One clear line instead of a stack trace: this is a set-up problem, not a bug.
            await Console.Error.WriteLineAsync($"Commerce cannot start: {e.Message}");
            Environment.Exit(2);
            return null;
        }
    }
}

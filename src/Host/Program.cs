using Commerce.Host;
using Commerce.Host.Logging;
using Commerce.Host.Telemetry;
using Serilog;

// Serilog from the first line: a start that fails before (or while) the host is built is logged, not just thrown.
Log.Logger = CommerceLogging.CreateBootstrapLogger();
try
{
    var builder = WebApplication.CreateBuilder(args);
    var log = builder.AddCommerceLogging();

    // With no ConnectionStrings:Commerce, the host runs its own PostgreSQL in the data directory.
    await using var embedded = await EmbeddedDatabase.StartIfNeededAsync(builder, log);

    builder.Services
        .AddCommerce(builder.Configuration)
        .AddCommerceHttp(builder);

    // Metrics (/metrics, OTLP) and traces (OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set).
    builder.AddCommerceTelemetry();

    var app = builder.Build();
    app.UseCommerceHttp();
    app.MapCommerce();
    app.MapCommerceMetrics();

    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is not HostAbortedException)
{
    Log.Fatal(e, "Commerce failed to start or stopped unexpectedly");
    return 1;
}
finally
{
    await Log.CloseAndFlushAsync();
}

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;

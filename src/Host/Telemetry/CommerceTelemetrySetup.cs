using Commerce.BuildingBlocks.Outbox;
using Commerce.BuildingBlocks.Security;
using Commerce.BuildingBlocks.Telemetry;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Commerce.Host.Telemetry;

/// <summary>Who may read <c>GET /metrics</c> (<c>Commerce:Telemetry:MetricsEndpoint</c>).</summary>
internal enum MetricsEndpointAccess
{
    /// <summary>Anyone who can reach the API's address (the default: keep the port private, or choose Admin).</summary>
    On,

    /// <summary>No <c>/metrics</c>; OTLP export, when configured, still runs.</summary>
    Off,

    /// <summary>Only an admin's bearer token.</summary>
    Admin,
}

/// <summary>
/// OpenTelemetry: metrics (ASP.NET Core, HttpClient, runtime, Npgsql, the outbox and the business meter) served as
/// Prometheus text on <c>/metrics</c>, and, when the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, metrics and
/// traces (request → feature → SQL, gateway and data platform calls, relay batches) exported over OTLP. Nothing is
/// exported without it.
/// </summary>
internal static class CommerceTelemetrySetup
{
    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddCommerceTelemetry(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var access = configuration.GetValue<MetricsEndpointAccess?>("Commerce:Telemetry:MetricsEndpoint") ?? MetricsEndpointAccess.On;
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        // Parent-based: a caller's sampling decision (traceparent) is kept, so a trace is never cut in half.
        var ratio = configuration.GetValue<double?>("Commerce:Telemetry:TraceSampleRatio") ?? 1.0;
        if (ratio is < 0 or > 1)
        {
            throw new InvalidOperationException("Commerce:Telemetry:TraceSampleRatio must be between 0 and 1.");
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : "commerce"));
        if (access != MetricsEndpointAccess.Off || otlp)
        {
            telemetry.WithMetrics(metrics =>
            {
                metrics
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddNpgsqlInstrumentation()
                    .AddMeter(OutboxMetrics.MeterName, CommerceTelemetry.Name);
                if (access != MetricsEndpointAccess.Off)
                {
                    metrics.AddPrometheusExporter();
                }

                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        }

        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio)))
                .AddAspNetCoreInstrumentation(options => options.Filter = context =>
                    !context.Request.Path.StartsWithSegments(MetricsPath) && !context.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddSource(CommerceTelemetry.Name)
                .AddOtlpExporter());
        }

        return builder;
    }

    /// <summary><c>GET /metrics</c> in the Prometheus text format, unless turned off; admins only when so configured.</summary>
    public static WebApplication MapCommerceMetrics(this WebApplication app)
    {
        var access = app.Configuration.GetValue<MetricsEndpointAccess?>("Commerce:Telemetry:MetricsEndpoint") ?? MetricsEndpointAccess.On;
        if (access == MetricsEndpointAccess.Off)
        {
            return app;
        }

        // GET only: another method is 405, like every other endpoint's wrong method.
        var endpoint = app.MapPrometheusScrapingEndpoint(MetricsPath).WithMetadata(new HttpMethodMetadata([HttpMethods.Get])).WithTags("Operations");
        if (access == MetricsEndpointAccess.Admin)
        {
            endpoint.RequireAuthorization(Policies.Admin);
        }

        return app;
    }
}

using Commerce.BuildingBlocks.Outbox.Features.ListDeadLetters;
using Commerce.BuildingBlocks.Outbox.Features.ListPendingMessages;
using Commerce.BuildingBlocks.Outbox.Features.RequeueDeadLetter;
using Commerce.BuildingBlocks.Outbox.Features.RequeueDeadLetters;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Commerce.BuildingBlocks.Outbox;

public static class OutboxComposition
{
    /// <summary>The local sink's file when no platform URL is set: <c>&lt;Commerce:DataDirectory&gt;/data-platform/events.jsonl</c>.</summary>
    public static string LocalSinkPath(IConfiguration configuration) =>
        Path.GetFullPath(Path.Combine(CommerceBuildingBlocks.DataDirectory(configuration), "data-platform", "events.jsonl"));

    /// <summary>The relay, its data platform adapter, metrics and retention cleanup.</summary>
    internal static IServiceCollection AddOutboxRelay(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OutboxOptions>().Bind(configuration.GetSection(OutboxOptions.Section))
            .Validate(o => o.IsValid(), $"{OutboxOptions.Section} has a value out of range (see OutboxOptions).").ValidateOnStart();
        services.AddOptions<DataPlatformOptions>().Bind(configuration.GetSection(DataPlatformOptions.Section))
            .Validate(o => o.IsValid(), $"{DataPlatformOptions.Section}:Url must be an absolute http(s) URL and the timeout positive.").ValidateOnStart();

        services.AddHttpClient(HttpDataPlatform.ClientName, (sp, client) =>
                client.Timeout = sp.GetRequiredService<IOptions<DataPlatformOptions>>().Value.Timeout)
            // A redirect is an answer to classify (retried, visible in last_error), not something to follow with the event.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false });
        services.AddSingleton<IDataPlatform>(sp => string.IsNullOrWhiteSpace(sp.GetRequiredService<IOptions<DataPlatformOptions>>().Value.Url)
            ? new FileDataPlatform(LocalSinkPath(configuration))
            : ActivatorUtilities.CreateInstance<HttpDataPlatform>(sp));

        services.AddMetrics();
        services.AddSingleton<OutboxMetrics>();
        // The relay holds a connection per lane while it waits for the platform: its own pool, so a slow or failing
        // platform never takes connections from requests. Its sessions carry the batch's lease, so a batch needs no SET.
        services.AddKeyedSingleton(OutboxRelay.DataSourceKey, (sp, _) =>
        {
            var relay = sp.GetRequiredService<IOptions<OutboxOptions>>().Value;
            var lease = OutboxRelay.Lease(relay, sp.GetRequiredService<IOptions<DataPlatformOptions>>().Value);
            return CommerceBuildingBlocks.CreateDataSource(sp, configuration, relay.Lanes, applicationName: "commerce-relay",
                sessionSettings: FormattableString.Invariant($"-c idle_in_transaction_session_timeout={(long)lease.TotalMilliseconds}"));
        });
        services.AddSingleton<OutboxRelay>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxRelay>());
        services.AddSingleton<OutboxCleanup>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxCleanup>());
        return services;
    }

    /// <summary>The outbox's figures in the readiness report (Degraded when the backlog is old).</summary>
    public static IHealthChecksBuilder AddOutboxCheck(this IHealthChecksBuilder builder, params string[] tags) =>
        builder.AddCheck<OutboxHealthCheck>("outbox", tags: tags);

    /// <summary>Admin endpoints: pending and dead-lettered events, and requeueing one dead letter or many.</summary>
    public static IEndpointRouteBuilder MapOutboxAdmin(this IEndpointRouteBuilder app)
    {
        ListPendingMessagesEndpoint.Map(app);
        ListDeadLettersEndpoint.Map(app);
        RequeueDeadLetterEndpoint.Map(app);
        RequeueDeadLettersEndpoint.Map(app);
        return app;
    }
}

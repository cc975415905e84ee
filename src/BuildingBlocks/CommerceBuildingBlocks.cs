using System.Reflection;
using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Hosting;
using Commerce.BuildingBlocks.Idempotency;
using Commerce.BuildingBlocks.Mediation;
using Commerce.BuildingBlocks.Outbox;
using Commerce.BuildingBlocks.Security;
using Dapper;
using FluentValidation;
using MediatR;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.BuildingBlocks;

public static class CommerceBuildingBlocks
{
    public const string ConnectionStringName = "Commerce";

    /// <summary>The database, the mediator pipeline, the outbox, idempotency and the start-up sequence.</summary>
    public static IServiceCollection AddCommerceBuildingBlocks(this IServiceCollection services, IConfiguration configuration)
    {
        DapperConventions.Apply();
        services.TryAddSingleton<TimeProvider>(DatabaseClock.Instance);
        services.AddOptions<DatabaseOptions>().Bind(configuration.GetSection(DatabaseOptions.Section));
        services.AddOptions<IdempotencyOptions>().Bind(configuration.GetSection(IdempotencyOptions.Section));
        services.AddOptions<RateLimitOptions>().Bind(configuration.GetSection(RateLimitOptions.Section))
            .Validate(o => o.IsValid, $"{RateLimitOptions.Section}: every PermitLimit and Window must be positive.")
            .ValidateOnStart();

        services.AddSingleton(sp => CreateDataSource(sp, configuration));
        services.AddScoped<DbSession>();
        services.AddScoped<Outbox.Outbox>();
        services.AddSingleton<Outbox.OutboxSignal>();

        services.AddScoped<ServiceFactory>(sp => sp.GetRequiredService);
        services.AddScoped<IMediator, Mediator>();
        // First registered = outermost (design.md, "The pipeline").
        services.AddTransient(typeof(IPipelineBehavior<,>), typeof(TelemetryBehavior<,>));
        services.AddTransient(typeof(IPipelineBehavior<,>), typeof(LoggingBehavior<,>));
        services.AddTransient(typeof(IPipelineBehavior<,>), typeof(ValidationBehavior<,>));
        services.AddTransient(typeof(IPipelineBehavior<,>), typeof(TransactionBehavior<,>));
        services.AddTransient(typeof(IPipelineBehavior<,>), typeof(IdempotencyBehavior<,>));
        services.AddTransient(typeof(IPipelineBehavior<,>), typeof(OutboxBehavior<,>));

        services.AddDataProtection().SetApplicationName("Commerce");
        services.AddOptions<KeyManagementOptions>().Configure<NpgsqlDataSource>((o, dataSource) => o.XmlRepository = new PostgresXmlRepository(dataSource));

        services.AddSingleton<MigrationRunner>();
        // First of all hosted services, ahead of the framework's own (Data Protection warms its key ring from the
        // database at start): nothing may touch the schema before the migrations ran.
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, DatabaseInitializer>());
        services.AddSingleton<IStartupTask, DataProtectionKeyRing>();
        services.AddHostedService<IdempotencyKeyCleanup>();
        services.AddOutboxRelay(configuration);
        return services.AddCommerceModule("platform", typeof(CommerceBuildingBlocks).Assembly);
    }

    /// <summary><c>Commerce:DataDirectory</c>, <c>.data</c> when not set: the embedded cluster and the local event sink live in it.</summary>
    public static string DataDirectory(IConfiguration configuration) =>
        configuration["Commerce:DataDirectory"] is { Length: > 0 } directory ? directory : ".data";

    /// <summary>
    /// A data source on the configured database; <paramref name="poolSize"/> overrides the configured pool size,
    /// <paramref name="keepAlive"/> makes Npgsql query an idle connection that often (so a connection that only waits, for a
    /// notification say, notices a dead server); <paramref name="sessionSettings"/> are more <c>-c</c> settings for its sessions.
    /// </summary>
    public static NpgsqlDataSource CreateDataSource(IServiceProvider sp, IConfiguration configuration, int? poolSize = null, string? applicationName = null,
        TimeSpan? keepAlive = null, string? sessionSettings = null)
    {
        var connectionString = configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException($"ConnectionStrings:{ConnectionStringName} is not set.");
        var options = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        var builder = new NpgsqlDataSourceBuilder(ConnectionStringDefaults.Apply(connectionString, options, poolSize, applicationName, keepAlive, sessionSettings))
        {
            // The pool's name in metrics; unnamed, Npgsql would label them with the connection string (host, port, user).
            Name = applicationName ?? "commerce",
        };
        // SQL spans only inside a request, a command or a relay batch: background polls would be a stream of lone spans.
        builder.ConfigureTracing(tracing => tracing
            .ConfigureCommandFilter(_ => System.Diagnostics.Activity.Current is not null)
            .ConfigureBatchFilter(_ => System.Diagnostics.Activity.Current is not null));
        // Npgsql's own events (connection failures, pool trouble) reach the host's log; its level is set in the Serilog section.
        if (sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>() is { } loggers)
        {
            builder.UseLoggerFactory(loggers);
        }

        return builder.Build();
    }

    /// <summary>Registers a module: its migrations, and the handlers and validators in its assembly.</summary>
    public static IServiceCollection AddCommerceModule(this IServiceCollection services, string schema, Assembly assembly)
    {
        services.AddSingleton(new CommerceModule(schema, assembly));
        services.Scan(scan => scan.FromAssemblies(assembly)
            .AddClasses(c => c.AssignableTo(typeof(IRequestHandler<,>)), publicOnly: false)
                .AsImplementedInterfaces().WithScopedLifetime()
            .AddClasses(c => c.AssignableTo(typeof(IValidator<>)), publicOnly: false)
                .AsImplementedInterfaces(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IValidator<>))
                .WithSingletonLifetime());
        return services;
    }
}

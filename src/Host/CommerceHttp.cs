using System.Text.Json;
using System.Text.Json.Serialization;
using Commerce.BuildingBlocks.Errors;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Host.Auth;
using Commerce.Host.Errors;
using Commerce.Host.Health;
using Commerce.Host.Hosting;
using Commerce.Host.Logging;
using Commerce.Host.OpenApi;
using Commerce.Host.RateLimiting;
using Commerce.Modules.Orders;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Features;

namespace Commerce.Host;

/// <summary>The HTTP side of the host: auth, JSON, limits, problem details, OpenAPI, health and request logging.</summary>
internal static class CommerceHttp
{
    public static IServiceCollection AddCommerceHttp(this IServiceCollection services, WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var maxBodyBytes = configuration.GetValue<long?>("Commerce:Http:MaxRequestBodyBytes") ?? 64 * 1024;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = maxBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
        });
        services.Configure<FormOptions>(o => o.MultipartBodyLengthLimit = maxBodyBytes);

        services.AddAuthentication(BearerTokenDefaults.AuthenticationScheme)
            .AddBearerToken(options =>
            {
                options.BearerTokenExpiration = configuration.GetValue<TimeSpan?>("Commerce:Auth:TokenLifetime") ?? TimeSpan.FromHours(1);
                options.RefreshTokenExpiration = configuration.GetValue<TimeSpan?>("Commerce:Auth:RefreshTokenLifetime") ?? TimeSpan.FromDays(14);
            });
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AuthorizationProblems>();

        services.ConfigureHttpJsonOptions(options =>
        {
            // Strict input: a misspelt or unknown field is an error rather than silently ignored
            // (a dropped "couponIds" would change what an order costs), and so is a missing or null one.
            options.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            options.SerializerOptions.RespectNullableAnnotations = true;
            options.SerializerOptions.RespectRequiredConstructorParameters = true;
            options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            problem.Instance ??= context.HttpContext.Request.Path;
            problem.Extensions["traceId"] = System.Diagnostics.Activity.Current?.TraceId.ToString() ?? context.HttpContext.TraceIdentifier;
            if (!problem.Extensions.ContainsKey("code"))
            {
                problem.Extensions["code"] = DefaultCode(problem.Status ?? context.HttpContext.Response.StatusCode);
            }
        });
        services.AddSingleton<IProblemDetailsWriter, ProblemDetailsForAnyAccept>();
        services.AddExceptionHandler<ProblemMapper>();
        services.AddCommerceRateLimits();
        services.AddOverloadShedding(configuration);

        services.AddCommerceProxyAndCors(configuration);
        services.AddCommerceKeyRingProtection(configuration);
        services.AddCommerceOpenApi();
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [HealthEndpoints.ReadyTag])
            .AddOutboxCheck(HealthEndpoints.ReadyTag)
            .AddPaymentsCheck(HealthEndpoints.ReadyTag);
        services.AddHostedService<StartupBanner>();
        services.AddSingleton<Commerce.BuildingBlocks.Hosting.IStartupTask, DemoShop>();
        return services;
    }

    public static WebApplication UseCommerceHttp(this WebApplication app)
    {
        // Forwarded headers first of all (the rate limits and the lockout see the real client), then CORS (preflights answered before auth).
        app.UseCommerceProxyAndCors();
        app.UseCommerceRequestLogging();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Before authentication: the member check spends a pooled connection an overloaded instance does not have.
        app.UseOverloadShedding();
        app.UseAuthentication();
        app.UseAuthorization();
        // After authorization: member policies partition by the authenticated member.
        app.UseRateLimiter();
        app.UseMiddleware<Utf8JsonBodies>();

        app.MapCommerceOpenApi();
        app.UseSwaggerUI(options =>
        {
            options.SwaggerEndpoint("/openapi/v1.json", "Commerce v1");
            options.RoutePrefix = "swagger";
            options.DocumentTitle = "Commerce API";
        });
        app.MapCommerceHealth();
        return app;
    }

    private static string DefaultCode(int status) => status switch
    {
        400 => ErrorCodes.MalformedRequest,
        401 => ErrorCodes.Unauthenticated,
        403 => ErrorCodes.Forbidden,
        404 => ErrorCodes.NotFound,
        405 => ErrorCodes.MethodNotAllowed,
        413 => ErrorCodes.PayloadTooLarge,
        415 => ErrorCodes.UnsupportedMediaType,
        429 => ErrorCodes.RateLimited,
        503 => ErrorCodes.DatabaseUnavailable,
        _ => ErrorCodes.Internal,
    };
}

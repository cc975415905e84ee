using Commerce.BuildingBlocks;
using Commerce.BuildingBlocks.Hosting;
using Commerce.BuildingBlocks.Security;
using Commerce.Modules.Members.Auth;
using Commerce.Modules.Members.Features.ChangeMemberStatus;
using Commerce.Modules.Members.Features.GetMe;
using Commerce.Modules.Members.Features.Login;
using Commerce.Modules.Members.Features.RefreshToken;
using Commerce.Modules.Members.Features.SignUp;
using Commerce.Modules.Members.Startup;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Modules.Members;

public static class MembersModule
{
    public static IServiceCollection AddMembersModule(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AdminOptions>().Bind(configuration.GetSection(AdminOptions.Section));
        services.AddOptions<DemoDataOptions>().Bind(configuration.GetSection(DemoDataOptions.Section));
        services.AddOptions<LoginLockoutOptions>().Bind(configuration.GetSection(LoginLockoutOptions.Section))
            .Validate(o => o.IsValid, $"{LoginLockoutOptions.Section}: MaxFailures 2..1000 and positive durations.")
            .ValidateOnStart();
        services.AddSingleton<LoginEmailLimiter>();
        services.AddHostedService<LoginAttemptCleanup>();
        services.AddSingleton<IStartupTask, SeedAccounts>();
        services.AddOptions<MemberStatusCacheOptions>().Bind(configuration.GetSection(MemberStatusCacheOptions.Section))
            .Validate(o => o.IsValid, $"{MemberStatusCacheOptions.Section}: Duration not negative, DurationWhileListening not shorter, MaxEntries positive.")
            .ValidateOnStart();
        services.AddSingleton<MemberStatusCache>();
        // The listener holds its connection for as long as the host runs: its own pool of one, so it never takes one from requests.
        services.AddKeyedSingleton(MemberAccessListener.DataSourceKey, (sp, _) => CommerceBuildingBlocks.CreateDataSource(
            sp, configuration, poolSize: 1, applicationName: MemberAccessListener.ApplicationName, keepAlive: MemberAccessListener.KeepAlive));
        services.AddHostedService<MemberAccessListener>();
        // Scoped: it reads the account on the request's own DbSession.
        services.AddScoped<IAuthorizationHandler, ActiveMemberHandler>();
        services.AddAuthorizationBuilder()
            .AddPolicy(Policies.Member, p => p.RequireAuthenticatedUser().AddRequirements(new ActiveMemberRequirement(adminOnly: false)))
            .AddPolicy(Policies.Admin, p => p.RequireAuthenticatedUser().AddRequirements(new ActiveMemberRequirement(adminOnly: true)));
        return services.AddCommerceModule("members", typeof(MembersModule).Assembly);
    }

    public static IEndpointRouteBuilder MapMembers(this IEndpointRouteBuilder app)
    {
        SignUpEndpoint.Map(app);
        LoginEndpoint.Map(app);
        RefreshTokenEndpoint.Map(app);
        GetMeEndpoint.Map(app);
        ChangeMemberStatusEndpoint.Map(app);
        return app;
    }
}

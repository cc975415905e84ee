using System.Text;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Modules.Members.Startup;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Commerce.Host;

/// <summary>Tells a new user where to go: the API and Swagger UI addresses, and the demo accounts when demo data is on.</summary>
internal sealed class StartupBanner(
    IHostApplicationLifetime lifetime,
    IServer server,
    IOptions<AdminOptions> admin,
    IOptions<DemoDataOptions> demo,
    IDataPlatform dataPlatform,
    ILogger<StartupBanner> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "(no address)";
            logger.LogInformation("Commerce is listening on {Address}", address);
            // Straight to the terminal, not the log: the log never carries passwords.
            var banner = new StringBuilder()
                .AppendLine()
                .AppendLine($"  Commerce API   {address}")
                .AppendLine($"  Swagger UI     {address}/swagger")
                .AppendLine($"  OpenAPI        {address}/openapi/v1.json")
                .AppendLine($"  Data platform  {dataPlatform.Destination}");
            if (demo.Value.Enabled)
            {
                banner.AppendLine($"  Admin          {admin.Value.Email} / {admin.Value.Password}");
                foreach (var member in demo.Value.Members)
                {
                    banner.AppendLine($"  Demo member    {member.Email} / {member.Password}");
                }
            }

            Console.Out.WriteLine(banner.ToString());
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

using System.Reflection;
using ArchUnitNET.Loader;
using Commerce.BuildingBlocks.Data;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Host.Tests.Architecture;

/// <summary>
/// The host's assemblies as ArchUnitNET sees them: the building blocks, every module the host registers, and the host
/// itself. Loading them takes seconds of CPU, and every host of the test process registers the same assemblies, so the
/// architecture tests share one load.
/// </summary>
internal static class HostArchitecture
{
    private static readonly Lock Loading = new();
    private static ArchUnitNET.Domain.Architecture? _loaded;

    public static ArchUnitNET.Domain.Architecture Of(IServiceProvider services)
    {
        lock (Loading)
        {
            return _loaded ??= new ArchLoader().LoadAssemblies(services.GetServices<CommerceModule>().Select(m => m.Assembly)
                    .Append(Assembly.Load("Commerce.Host"))
                    .Distinct()
                    .ToArray())
                .Build();
        }
    }
}

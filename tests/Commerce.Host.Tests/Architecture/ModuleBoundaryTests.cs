using System.Reflection;
using System.Text.RegularExpressions;
using ArchUnitNET.xUnit;
using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Outbox;
using Commerce.Testing;
using MediatR;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static ArchUnitNET.Fluent.ArchRuleDefinition;
using Architecture = ArchUnitNET.Domain.Architecture;
using Type = System.Type;

namespace Commerce.Host.Tests.Architecture;

/// <summary>
/// The module boundaries as checks rather than conventions. Modules are read from the running host (every
/// <see cref="CommerceModule"/> it registers), so a new module is checked without touching this file.
/// </summary>
[StartFirst]
public sealed partial class ModuleBoundaryTests(CommerceApp app) : IClassFixture<CommerceApp>
{
    private static readonly Assembly BuildingBlocks = typeof(DbSession).Assembly;

    private IReadOnlyList<CommerceModule> Modules => app.Services.GetServices<CommerceModule>()
        .Where(m => m.Assembly != BuildingBlocks)
        .ToList();

    [Fact]
    public void Building_blocks_reference_no_module()
    {
        var moduleNames = Modules.Select(m => m.Assembly.GetName().Name).ToHashSet();

        Assert.True(moduleNames.Count >= 5, $"expected the five modules, found {string.Join(", ", moduleNames)}");
        var referenced = BuildingBlocks.GetReferencedAssemblies().Select(a => a.Name).ToList();
        Assert.Contains("Npgsql", referenced);
        foreach (var module in moduleNames)
        {
            Assert.DoesNotContain(module, referenced);
        }
    }

    /// <summary>
    /// A module reaches another through that module's <c>Contracts</c> (interfaces it implements for callers inside
    /// their transaction) or by sending one of its mediator requests (its public entry points, e.g. Carts sends Orders'
    /// <c>Checkout</c>), with the types those expose. Never its handlers, stores, SQL or constants.
    /// </summary>
    [Fact]
    public void A_module_uses_another_module_only_through_its_contracts_and_requests()
    {
        var modules = Modules;
        var architecture = HostArchitecture.Of(app.Services);

        // The rule can fail: Orders does use Catalog's contracts, which a rule forbidding them must see.
        var orders = modules.Single(m => m.Schema == "orders").Assembly;
        Assert.False(Types().That().ResideInAssembly(orders)
            .Should().NotDependOnAny(Types().That().ResideInNamespace("Commerce.Modules.Catalog.Contracts"))
            .HasNoViolations(architecture), "the dependency loader does not see Orders' use of Catalog's contracts");

        foreach (var other in modules)
        {
            var contracts = $"{other.Assembly.GetName().Name}.Contracts";
            var entryPoints = Surface(new HashSet<Assembly> { other.Assembly }, type => type.Namespace == contracts || typeof(IBaseRequest).IsAssignableFrom(type), []);
            foreach (var module in modules.Where(m => m != other))
            {
                Types().That().ResideInAssembly(module.Assembly)
                    .Should().NotDependOnAny(Types().That().ResideInAssembly(other.Assembly).And().AreNot(entryPoints))
                    .Because($"{module.Schema} may use {other.Schema} only through {contracts} and its requests")
                    .Check(architecture);
            }
        }
    }

    /// <summary>
    /// Public: the module's entry point (<c>*Module</c>), its <c>Contracts</c>, its settings (<c>*Options</c>, bound from
    /// configuration), its mediator requests, its platform events, and every type those and the HTTP endpoints expose
    /// (bodies, responses). Everything else is internal.
    /// </summary>
    [Fact]
    public void Only_entry_points_contracts_and_request_response_types_are_public()
    {
        var modules = Modules.Select(m => m.Assembly).ToHashSet();
        var handlers = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => e.Metadata.GetMetadata<MethodInfo>())
            .OfType<MethodInfo>()
            .ToList();
        Assert.NotEmpty(handlers);

        var allowed = Surface(modules, type => type.Namespace?.EndsWith(".Contracts", StringComparison.Ordinal) == true
                                               || (type is { IsAbstract: true, IsSealed: true } && type.Name.EndsWith("Module", StringComparison.Ordinal))
                                               || type.Name.EndsWith("Options", StringComparison.Ordinal)
                                               || typeof(IBaseRequest).IsAssignableFrom(type)
                                               || typeof(IIntegrationEvent).IsAssignableFrom(type), handlers);

        var needlesslyPublic = modules.SelectMany(a => a.GetExportedTypes()).Where(t => !allowed.Contains(t)).Select(t => t.FullName).Order().ToList();
        Assert.True(needlesslyPublic.Count == 0, $"public but neither entry point, contract nor request/response type: {string.Join(", ", needlesslyPublic)}");
    }

    /// <summary>The roots among the assemblies' public types, and every type of those assemblies their public members and the handlers expose.</summary>
    private static HashSet<Type> Surface(HashSet<Assembly> assemblies, Func<Type, bool> isRoot, IEnumerable<MethodInfo> handlers)
    {
        var allowed = new HashSet<Type>();

        void Allow(Type type)
        {
            if (type.IsArray || type.IsByRef)
            {
                Allow(type.GetElementType()!);
                return;
            }

            foreach (var argument in type.IsGenericType ? type.GetGenericArguments() : [])
            {
                Allow(argument);
            }

            if (!assemblies.Contains(type.Assembly) || !allowed.Add(type.IsGenericType ? type.GetGenericTypeDefinition() : type))
            {
                return;
            }

            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            {
                Allow(property.PropertyType);
            }

            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                AllowSignature(method);
            }

            foreach (var contract in type.GetInterfaces().Append(type.BaseType).OfType<Type>())
            {
                Allow(contract);
            }
        }

        void AllowSignature(MethodInfo method)
        {
            Allow(method.ReturnType);
            foreach (var parameter in method.GetParameters())
            {
                Allow(parameter.ParameterType);
            }
        }

        foreach (var type in assemblies.SelectMany(a => a.GetExportedTypes()).Where(isRoot))
        {
            Allow(type);
        }

        foreach (var handler in handlers)
        {
            AllowSignature(handler);
        }

        return allowed;
    }

    [Fact]
    public void No_module_SQL_names_another_module_schema()
    {
        var root = RepositoryRoot();
        var schemas = app.Services.GetServices<CommerceModule>().Select(m => m.Schema).ToList();
        var owners = app.Services.GetServices<CommerceModule>()
            .Select(m => (m.Schema, Folder: m.Assembly == BuildingBlocks
                ? Path.Combine(root, "src", "BuildingBlocks")
                : Path.Combine(root, "src", "Modules", m.Assembly.GetName().Name!["Commerce.Modules.".Length..])))
            .ToList();

        var found = new List<string>();
        foreach (var (schema, folder) in owners)
        {
            Assert.True(Directory.Exists(folder), $"no source folder {folder} for schema {schema}");
            var sql = SqlIn(folder).ToList();
            // The scan reads real SQL: each owner names its own schema somewhere.
            Assert.Contains(sql, s => Regex.IsMatch(s.Text, $@"\b{schema}\.\w"));
            foreach (var (file, text) in sql)
            {
                foreach (var other in schemas.Where(s => s != schema))
                {
                    found.AddRange(Regex.Matches(text, $@"\b{other}\.[a-z_]+").Select(m => $"{Path.GetRelativePath(root, file)}: {m.Value}"));
                }
            }
        }

        Assert.Empty(found);
    }

    /// <summary>Migrations whole, and every raw string literal of the C# files (where the handlers' SQL lives).</summary>
    private static IEnumerable<(string File, string Text)> SqlIn(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*.sql", SearchOption.AllDirectories).Where(NotBuildOutput))
        {
            yield return (file, File.ReadAllText(file));
        }

        foreach (var file in Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories).Where(NotBuildOutput))
        {
            foreach (Match literal in RawLiteral().Matches(File.ReadAllText(file)))
            {
                yield return (file, literal.Groups[1].Value);
            }
        }
    }

    private static bool NotBuildOutput(string path) =>
        !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
        && !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal);

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Commerce.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Commerce.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("\"\"\"(.*?)\"\"\"", RegexOptions.Singleline)]
    private static partial Regex RawLiteral();
}

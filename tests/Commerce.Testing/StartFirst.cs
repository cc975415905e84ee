using System.Reflection;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Commerce.Testing;

/// <summary>
/// A test class that runs far longer than the others (a minute or so on a busy 2-core machine): xunit starts it
/// before the short ones. xunit runs as many classes at a time as there are cores, in an order of its own; a long
/// class it happens to start last runs on alone while the other core has nothing left of this assembly to do.
/// Only for a class in its own collection (no [Collection]).
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class StartFirstAttribute : Attribute;

/// <summary>The test collections of the classes marked <see cref="StartFirstAttribute"/> first, then xunit's own order.</summary>
public sealed class StartFirstOrderer : ITestCollectionOrderer
{
    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections)
    {
        var ordered = new DefaultTestCollectionOrderer().OrderTestCollections(testCollections).ToList();
        var first = ordered.Select(c => c.TestAssembly.Assembly).OfType<IReflectionAssemblyInfo>().FirstOrDefault() is { } assembly
            ? CollectionsToStartFirst(assembly.Assembly)
            : [];
        return [.. ordered.Where(c => first.Contains(c.DisplayName)), .. ordered.Where(c => !first.Contains(c.DisplayName))];
    }

    // The name xunit gives the collection of a class that has no [Collection] of its own.
    private static HashSet<string> CollectionsToStartFirst(Assembly assembly) =>
        assembly.GetTypes()
            .Where(t => t.GetCustomAttribute<StartFirstAttribute>() is not null)
            .Select(t => $"Test collection for {t.FullName}")
            .ToHashSet();
}

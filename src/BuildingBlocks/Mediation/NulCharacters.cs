using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using FluentValidation.Results;

namespace Commerce.BuildingBlocks.Mediation;

/// <summary>
/// Finds NUL characters (<c>\u0000</c>) in the strings of a request, its nested records and their lists, so the
/// validation step refuses them (400, naming the field) before any SQL runs. PostgreSQL cannot store NUL in text and
/// refuses such a parameter while binding it; when that happens on the execution Npgsql picked to auto-prepare the
/// statement, Npgsql's bookkeeping for that connection is left wrong, and the next request running the same
/// statement on it fails with "Received unexpected backend message DataRow", a 500 (npgsql/npgsql#6391, still open
/// in Npgsql 10.0.3). Route values and headers cannot carry a NUL (Kestrel refuses them).
/// </summary>
internal static class NulCharacters
{
    private const int MaxDepth = 4;

    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> Inspected = new();

    public static List<ValidationFailure>? Find(object request, List<ValidationFailure>? failures = null)
    {
        Walk(request, "", 0, ref failures);
        return failures;
    }

    private static void Walk(object value, string path, int depth, ref List<ValidationFailure>? failures)
    {
        foreach (var property in PropertiesOf(value.GetType()))
        {
            var name = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
            switch (property.GetValue(value))
            {
                case string text when text.Contains('\0'):
                    (failures ??= []).Add(new ValidationFailure(name, "The value must not contain a NUL character."));
                    break;
                case string or null:
                    break;
                case IEnumerable items when depth < MaxDepth:
                    var index = 0;
                    foreach (var item in items)
                    {
                        if (item is string s && s.Contains('\0'))
                        {
                            (failures ??= []).Add(new ValidationFailure($"{name}[{index}]", "The value must not contain a NUL character."));
                        }
                        else if (item is not null and not string && IsOurs(item.GetType()))
                        {
                            Walk(item, $"{name}[{index}]", depth + 1, ref failures);
                        }

                        index++;
                    }

                    break;
                case { } nested when depth < MaxDepth && IsOurs(nested.GetType()):
                    Walk(nested, name, depth + 1, ref failures);
                    break;
            }
        }
    }

    // Strings, the request's own types, and lists of either; values of other types (numbers, dates, ids) hold no text.
    private static PropertyInfo[] PropertiesOf(Type type) => Inspected.GetOrAdd(type, t => t
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.GetIndexParameters().Length == 0 && p.CanRead && MayHoldText(p.PropertyType))
        .ToArray());

    private static bool MayHoldText(Type type) =>
        type == typeof(string) || IsOurs(type) ||
        type.GetInterfaces().Append(type)
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            .Any(i => i.GetGenericArguments()[0] is var item && (item == typeof(string) || IsOurs(item)));

    private static bool IsOurs(Type type) => type.Namespace?.StartsWith("Commerce", StringComparison.Ordinal) == true;
}

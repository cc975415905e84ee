using FluentValidation;
using FluentValidation.Results;

namespace Commerce.Host.Http;

/// <summary>
/// The one bad-id rule: an id is a positive integer. Route ids carry no route constraint, so a malformed id reaches its
/// endpoint and fails binding with 400 MALFORMED_REQUEST naming the parameter (a constraint would make it 404 or 405,
/// indistinguishable from a missing resource); this filter answers a zero or negative id with 400 VALIDATION_FAILED
/// naming the parameter, before the handler runs. A well-formed id that is not there is the handler's 404.
/// Applies to every <c>long</c> handler parameter whose name ends in "Id", on every endpoint of the product.
/// </summary>
internal static class PositiveIds
{
    public static EndpointFilterDelegate Filter(EndpointFilterFactoryContext context, EndpointFilterDelegate next)
    {
        var ids = context.MethodInfo.GetParameters()
            .Where(p => p.ParameterType == typeof(long) && p.Name is { } name && name.EndsWith("Id", StringComparison.Ordinal))
            .Select(p => (p.Position, Name: p.Name!))
            .ToArray();
        if (ids.Length == 0)
        {
            return next;
        }

        return invocation =>
        {
            var failures = ids
                .Where(id => invocation.GetArgument<long>(id.Position) <= 0)
                .Select(id => new ValidationFailure(id.Name, "Must be a positive id."))
                .ToList();
            return failures.Count > 0 ? throw new ValidationException(failures) : next(invocation);
        };
    }
}

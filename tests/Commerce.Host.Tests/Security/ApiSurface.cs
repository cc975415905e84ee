using System.Reflection;
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Host.Tests.Security;

/// <summary>One endpoint as the host maps it: what the security tests need to call it.</summary>
/// <param name="Key">"POST /api/orders/{orderId}/cancel"; "ANY" for endpoints that take every method.</param>
/// <param name="Access">anonymous, member or admin (the authorization policy).</param>
internal sealed record ApiEndpoint(
    string Key,
    string? Method,
    string Pattern,
    IReadOnlyList<RouteValue> Route,
    Type? Body,
    IReadOnlyList<QueryValue> Query,
    IReadOnlyList<string> Headers,
    string Access)
{
    public override string ToString() => Key;
}

internal sealed record RouteValue(string Name, string? Constraint);

internal sealed record QueryValue(string Name, Type Type);

/// <summary>
/// Every endpoint of the running host, read from its <see cref="EndpointDataSource"/>: a new endpoint shows up here
/// (and so in the hostile-input run and the access matrix) without anyone listing it.
/// </summary>
internal static class ApiSurface
{
    private static readonly HashSet<Type> Bound = [typeof(CancellationToken), typeof(ClaimsPrincipal), typeof(HttpContext), typeof(HttpRequest)];

    public static IReadOnlyList<ApiEndpoint> Of(IServiceProvider services) => services.GetRequiredService<EndpointDataSource>().Endpoints
        .OfType<RouteEndpoint>()
        .Select(Describe)
        .OrderBy(e => e.Key, StringComparer.Ordinal)
        .ToList();

    public static string KeyOf(RouteEndpoint endpoint) =>
        $"{endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.SingleOrDefault() ?? "ANY"} {endpoint.RoutePattern.RawText}";

    private static ApiEndpoint Describe(RouteEndpoint endpoint)
    {
        var handler = endpoint.Metadata.GetMetadata<MethodInfo>();
        var parameters = handler?.GetParameters() ?? [];
        // Ids carry no route constraint (a malformed one must reach the endpoint and get its 400): the handler's type says what they are.
        var route = endpoint.RoutePattern.Parameters
            .Select(p => new RouteValue(p.Name, p.ParameterPolicies.Select(c => c.Content).FirstOrDefault()
                ?? parameters.FirstOrDefault(h => h.Name == p.Name)?.ParameterType switch
                {
                    { } t when t == typeof(long) => "long",
                    { } t when t == typeof(Guid) => "guid",
                    _ => null,
                }))
            .ToList();
        var query = parameters
            .Where(p => route.All(r => !string.Equals(r.Name, p.Name, StringComparison.OrdinalIgnoreCase)))
            .Where(p => p.GetCustomAttributes().All(a => a is not (FromHeaderAttribute or FromServicesAttribute or FromBodyAttribute)))
            .Where(p => IsSimple(p.ParameterType))
            .Select(p => new QueryValue(p.Name!, Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType))
            .ToList();
        var headers = parameters.Select(p => p.GetCustomAttribute<FromHeaderAttribute>()?.Name).OfType<string>().ToList();
        var policies = endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).ToList();
        var access = endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null || policies.Count == 0 ? "anonymous"
            : policies.Contains(Commerce.BuildingBlocks.Security.Policies.Admin) ? "admin"
            : "member";
        return new ApiEndpoint(KeyOf(endpoint), endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.SingleOrDefault(),
            endpoint.RoutePattern.RawText!, route, endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType, query, headers, access);
    }

    private static bool IsSimple(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return !Bound.Contains(t) && (t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(Guid) || t == typeof(DateTimeOffset) || t == typeof(decimal));
    }
}

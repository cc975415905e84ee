using Commerce.BuildingBlocks.Data;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Testing;

public static class ServiceTransactions
{
    /// <summary>
    /// <see cref="ModuleHost.InTransactionAsync{T}"/> for any composition, e.g. <c>app.Services</c> of a
    /// <see cref="CommerceApp"/>: calls a Contract inside a transaction while real HTTP requests run against the same host.
    /// </summary>
    public static async Task<T> InTransactionAsync<T>(this IServiceProvider services, Func<IServiceProvider, Task<T>> work, bool commit = true)
    {
        await using var scope = services.CreateAsyncScope();
        var session = scope.ServiceProvider.GetRequiredService<DbSession>();
        await session.BeginAsync(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), CancellationToken.None);
        try
        {
            var result = await work(scope.ServiceProvider);
            if (commit)
            {
                await session.CommitAsync(CancellationToken.None);
            }

            return result;
        }
        finally
        {
            await session.RollbackAsync();
        }
    }
}

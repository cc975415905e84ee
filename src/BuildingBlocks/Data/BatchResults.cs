using System.Data.Common;
using Dapper;

namespace Commerce.BuildingBlocks.Data;

public static class BatchResults
{
    /// <summary>
    /// The rows of the reader's current result, mapped as Dapper's Query maps them (<see cref="DapperConventions"/>),
    /// and moves the reader on to the next result: one call per statement of a <see cref="DbSession.Batch"/>, in order.
    /// </summary>
    public static async Task<List<T>> ReadRowsAsync<T>(this DbDataReader reader, CancellationToken ct)
    {
        var parse = reader.GetRowParser<T>();
        var rows = new List<T>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(parse(reader));
        }

        await reader.NextResultAsync(ct);
        return rows;
    }
}

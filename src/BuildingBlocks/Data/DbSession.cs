using Dapper;
using Npgsql;

namespace Commerce.BuildingBlocks.Data;

/// <summary>
/// The one connection (and, for commands, the one transaction) of the current request scope.
/// The pipeline opens and closes it; handlers and the <c>Contracts</c> of other modules only use it,
/// so every statement of a command runs on the same transaction.
/// </summary>
public sealed class DbSession(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    private NpgsqlConnection? _connection;
    private List<Action>? _afterCommit;
    private List<NpgsqlBatchCommand>? _beforeCommit;

    public NpgsqlConnection Connection =>
        _connection ?? throw new InvalidOperationException("No open connection: the request did not go through the mediator pipeline.");

    public NpgsqlTransaction? Transaction { get; private set; }

    public bool IsOpen => _connection is not null;

    public CommandDefinition Command(string sql, object? parameters, CancellationToken ct) =>
        new(sql, parameters, Transaction, cancellationToken: ct);

    /// <summary>Runs after a successful commit of the current transaction (e.g. wake the outbox relay).</summary>
    public void AfterCommit(Action action) => (_afterCommit ??= []).Add(action);

    /// <summary>
    /// Queues a statement whose result nothing reads to be sent with the COMMIT, in one round trip: a handler's last writes
    /// while it holds a hot row's lock, then the pipeline's tail (the outbox rows, the stored response), in the order queued.
    /// Like the rest of the transaction it is gone on a rollback. A statement that fails (a rule it checks itself raises,
    /// see <see cref="Errors.DatabaseRefusal"/>) makes the server skip the rest, COMMIT included, and the command fails.
    /// </summary>
    public void BeforeCommit(NpgsqlBatchCommand command) => (_beforeCommit ??= []).Add(command);

    /// <summary>
    /// Several statements on this session's transaction in one round trip, e.g. reads of different modules a handler needs
    /// before it takes its hot locks; read each result in turn with <see cref="BatchResults.ReadRowsAsync{T}"/>.
    /// </summary>
    public NpgsqlBatch Batch() => new(Connection, Transaction);

    public async Task OpenAsync(CancellationToken ct)
    {
        _connection ??= await dataSource.OpenConnectionAsync(ct);
    }

    /// <summary>
    /// Database work outside the mediator pipeline (the member check, a background job's run, a readiness figure):
    /// opens this scope's connection, runs the work on it with no transaction, and returns the connection to the pool
    /// at once, so the scope holds none between two such pieces of work. A job that also sends requests through the
    /// mediator must not run them inside <paramref name="work"/>: the pipeline would take the open session for a
    /// request nested in another (<c>TransactionBehavior</c>), so this refuses to run on an open session.
    /// </summary>
    public async Task<T> RunAsync<T>(Func<DbSession, Task<T>> work, CancellationToken ct)
    {
        if (IsOpen)
        {
            throw new InvalidOperationException("The session is already open: work inside a request uses it as it is.");
        }

        await OpenAsync(ct);
        try
        {
            return await work(this);
        }
        finally
        {
            await CloseAsync();
        }
    }

    /// <summary>BEGIN (read committed) with the session's own timeouts, which every connection of the data source
    /// carries from the moment it opens (<see cref="ConnectionStringDefaults"/>): no round trip of its own, since
    /// Npgsql sends the BEGIN together with the handler's first statement.</summary>
    internal async Task BeginAsync(CancellationToken ct)
    {
        await OpenAsync(ct);
        Transaction = await Connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, ct);
    }

    /// <summary>BEGIN with timeouts of its own for this transaction.</summary>
    internal async Task BeginAsync(TimeSpan lockTimeout, TimeSpan statementTimeout, CancellationToken ct)
    {
        await OpenAsync(ct);
        Transaction = await Connection.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, ct);
        // Npgsql defers BEGIN and sends it together with this batch: one round trip.
        await Connection.ExecuteAsync(Command(
            $"SET LOCAL lock_timeout = {(long)lockTimeout.TotalMilliseconds}; SET LOCAL statement_timeout = {(long)statementTimeout.TotalMilliseconds}",
            null, ct));
    }

    internal async Task CommitAsync(CancellationToken ct)
    {
        if (_beforeCommit is { } tail)
        {
            _beforeCommit = null;
            // Without error barriers the server skips everything after a failing statement up to the batch's end, COMMIT
            // included, so the transaction is still open (and failed) for the rollback. A COMMIT sent this way completes the
            // NpgsqlTransaction as its CommitAsync would (Npgsql follows the server's transaction status).
            await using var batch = new NpgsqlBatch(Connection, Transaction);
            tail.ForEach(batch.BatchCommands.Add);
            batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
            await batch.ExecuteNonQueryAsync(ct);
        }
        else
        {
            await Transaction!.CommitAsync(ct);
        }

        await EndTransactionAsync();
        var actions = _afterCommit;
        _afterCommit = null;
        actions?.ForEach(a => a());
    }

    internal async Task RollbackAsync()
    {
        _afterCommit = null;
        _beforeCommit = null;
        if (Transaction is null)
        {
            return;
        }

        try
        {
            // Not cancellable: a rollback must reach the server even when the request was aborted.
            await Transaction.RollbackAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // A broken connection has no transaction left to roll back; drop it from the pool.
            await CloseAsync();
            return;
        }

        await EndTransactionAsync();
    }

    /// <summary>Returns the connection to the pool. The pipeline does it when a request ends; a multi-step command also
    /// does it between its steps, so no connection waits on work outside the database (a password hash, a gateway call).</summary>
    public async Task CloseAsync()
    {
        _beforeCommit = null;
        if (Transaction is not null)
        {
            await Transaction.DisposeAsync();
            Transaction = null;
        }

        if (_connection is not null)
        {
            await _connection.DisposeAsync();
            _connection = null;
        }
    }

    private async Task EndTransactionAsync()
    {
        await Transaction!.DisposeAsync();
        Transaction = null;
    }

    public async ValueTask DisposeAsync() => await CloseAsync();
}

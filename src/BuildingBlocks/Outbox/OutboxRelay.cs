using System.Data;
using Commerce.BuildingBlocks.Data;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.BuildingBlocks.Outbox;

/// <summary>
/// Delivers <c>platform.outbox</c> to the data platform, at least once, in commit order per stream. Each batch is
/// one transaction: claim due stream heads <c>FOR UPDATE SKIP LOCKED</c>, deliver them concurrently, record every
/// outcome, commit. The row locks are the lease: other lanes and other instances skip them, and they vanish the
/// moment this process or its connection dies, so the rows go to the next relay with the same event ids.
/// </summary>
internal sealed class OutboxRelay(
    [FromKeyedServices(OutboxRelay.DataSourceKey)] NpgsqlDataSource dataSource,
    IDataPlatform platform,
    OutboxSignal signal,
    OutboxMetrics metrics,
    IServiceScopeFactory scopes,
    IOptions<OutboxOptions> options,
    IOptions<DataPlatformOptions> platformOptions,
    TimeProvider clock,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    public const string DataSourceKey = "outbox-relay";

    private static readonly TimeSpan MaxDatabaseBackoff = TimeSpan.FromSeconds(30);

    // Failed deliveries are summed up in one log line per minute, not one per event: an outage of 100,000 events must
    // not flood the log (the counters and /health/ready show the rest).
    private static readonly TimeSpan FailureLogInterval = TimeSpan.FromMinutes(1);

    // Only a stream's head (its lowest pending seq) is claimable, so a stream's events go out one after another in
    // commit order. A head locked by another lane or instance is skipped, and with it the rest of its stream; a head
    // waiting for its retry holds back only its own stream. Dead letters are not pending: they hold nothing back.
    // The pending rows are walked in seq order (outbox_pending_idx) and each is kept only if no earlier row of its
    // stream is pending (one probe of outbox_stream_pending_idx), so a claim stops after its batch: 2 ms with 30,000
    // rows pending, where collecting every stream's head first took 190 ms, and 13 ms against 127 ms when every
    // stream is waiting for a retry (an outage). That plan must hold when the planner believes nothing is pending (its
    // statistics of these partial indexes usually say so): "seq > 0" (always true) is what only the walk's index
    // requires (migration 0003), and OFFSET 0 keeps the head check a subquery run per row with its stream and seq as
    // values, instead of a join whose inner side may be a scan of every pending row, chosen when all rows look alike.
    internal const string ClaimSql = """
        SELECT o.id, o.seq, o.stream_id, o.type, o.version, o.occurred_at, o.payload::text AS payload, o.attempts
        FROM platform.outbox o
        WHERE o.delivered_at IS NULL AND o.dead_lettered_at IS NULL AND o.seq > 0
          AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= @Now)
          AND NOT EXISTS (
              SELECT 1 FROM platform.outbox earlier
              WHERE earlier.stream_id = o.stream_id AND earlier.seq < o.seq
                AND earlier.delivered_at IS NULL AND earlier.dead_lettered_at IS NULL
              OFFSET 0)
        ORDER BY o.seq
        LIMIT @BatchSize
        FOR UPDATE OF o SKIP LOCKED
        """;

    // Every outcome of the batch and the COMMIT in one round trip. An interrupted delivery (shutdown) is in no list: it stays as it was.
    private const string RecordSql = """
        UPDATE platform.outbox SET attempts = attempts + 1, delivered_at = @Now, next_attempt_at = NULL
        WHERE id = ANY(@DeliveredIds);
        UPDATE platform.outbox o SET attempts = o.attempts + 1, next_attempt_at = r.next_attempt_at, last_error = r.error
        FROM unnest(@RetryIds, @RetryErrors, @RetryAt::timestamptz[]) AS r(id, error, next_attempt_at)
        WHERE o.id = r.id;
        UPDATE platform.outbox o SET attempts = o.attempts + 1, dead_lettered_at = @Now, next_attempt_at = NULL, last_error = r.error
        FROM unnest(@DeadIds, @DeadErrors) AS r(id, error)
        WHERE o.id = r.id;
        COMMIT;
        """;

    // A batch still delivering after this many lingers is slow (a platform call hangs): its lane stops serving, so the
    // commits meanwhile wake the free lanes instead of waiting for it.
    private const int SlowBatchLingers = 10;

    private long _statsRefreshedAt;
    // Per kind of failure (0 = outage, 1 = refusal), so an outage's warning never hides a refusal's error.
    private readonly long[] _failureLoggedAt = new long[2];
    private readonly int[] _failuresSinceLog = new int[2];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (platform is FileDataPlatform)
        {
            logger.LogInformation("No Commerce:DataPlatform:Url is set: outbox events go to the local file {Destination}", platform.Destination);
        }
        else
        {
            logger.LogInformation("Outbox events go to the data platform at {Destination}", platform.Destination);
        }

        var settings = options.Value;
        await Task.WhenAll(Enumerable.Range(0, settings.Lanes).Select(lane => RunLaneAsync(lane, settings, stoppingToken)));
    }

    /// <summary>
    /// One lane: batch after batch while there is progress, else wait for a wake-up (a commit, or a lane that claimed a
    /// full batch), a retry falling due, or the poll. A commit's wake-up, or a batch that was not full, is followed by
    /// the <see cref="OutboxOptions.Linger"/> before the claim. Lane 0 polls every <see cref="OutboxOptions.PollInterval"/>;
    /// the others only every ten, since each claim reads all pending heads.
    /// </summary>
    private async Task RunLaneAsync(int lane, OutboxOptions settings, CancellationToken stoppingToken)
    {
        var failuresInARow = 0;
        // The last retry this lane scheduled. Its batch's retries fall due spread over the jitter; once the earliest
        // are sent, the lane must come back for the later ones rather than sleep until the poll.
        DateTimeOffset? lastRetryAt = null;
        // Whether the next claim should wait for more commits first: after a commit's wake-up, or a batch that was not full.
        var linger = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            // With a linger, one lane at a time serves the commits (see OutboxSignal.BeginServing): the others would
            // only claim the same few events between them. Without one, every commit wakes a free lane.
            var serving = settings.Linger > TimeSpan.Zero;
            var missed = false;
            try
            {
                if (lane == 0)
                {
                    await RefreshStatsIfDueAsync(settings, stoppingToken);
                }

                int settled;
                (DateTimeOffset Earliest, DateTimeOffset Latest)? retries;
                if (serving)
                {
                    signal.BeginServing();
                }

                try
                {
                    if (linger && serving)
                    {
                        // Real time, not the clock: a pause, not a deadline.
                        await Task.Delay(settings.Linger, stoppingToken);
                    }

                    var batch = RelayBatchAsync(settings, stoppingToken);
                    if (serving && await Task.WhenAny(batch, Task.Delay(settings.Linger * SlowBatchLingers, CancellationToken.None)) != batch)
                    {
                        // A slow platform call must not hold up the commits that come meanwhile: this lane steps aside,
                        // so that they wake the free lanes as they would without a linger.
                        serving = false;
                        if (signal.EndServing())
                        {
                            signal.WakeAnother();
                        }
                    }

                    (settled, retries) = await batch;
                }
                finally
                {
                    if (serving)
                    {
                        missed = signal.EndServing();
                    }
                }

                linger = settled < settings.BatchSize;
                failuresInARow = 0;
                if (retries is { Latest: var latest } && (lastRetryAt is null || latest > lastRetryAt))
                {
                    lastRetryAt = latest;
                }

                if (settled > 0 || missed)
                {
                    // Settling a head makes its stream's next event claimable: go again at once (after the linger).
                    linger |= missed;
                    continue;
                }

                var poll = lane == 0 ? settings.PollInterval : settings.PollInterval * 10;
                var now = clock.GetUtcNow();
                if (lastRetryAt <= now)
                {
                    lastRetryAt = null;
                }

                wait = (retries?.Earliest ?? lastRetryAt) is { } retryAt
                    ? TimeSpan.FromTicks(Math.Clamp((retryAt - now).Ticks, 0, poll.Ticks))
                    : poll;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The relay outlives any failure (database restart, a bug in one batch): it logs and tries again later.
            catch (Exception e)
#pragma warning restore CA1031
            {
                failuresInARow++;
                if (missed)
                {
                    // The commits this lane was to come back for go to another lane, not to this one's backoff.
                    signal.WakeAnother();
                }

                wait = TimeSpan.FromTicks(Math.Min(MaxDatabaseBackoff.Ticks, settings.PollInterval.Ticks << Math.Min(failuresInARow, 10)));
                logger.LogWarning(e, "Outbox relay batch failed ({Failures} in a row); trying again in {Wait}", failuresInARow, wait);
            }

            try
            {
                // One wake-up releases one waiting lane: the one that is free.
                linger = await signal.WaitAsync(wait, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The longest a batch can keep its transaction open: every wave of deliveries timing out, and a margin.</summary>
    internal static TimeSpan Lease(OutboxOptions settings, DataPlatformOptions platform)
    {
        var waves = (settings.BatchSize + settings.MaxConcurrency - 1) / settings.MaxConcurrency;
        return platform.Timeout * waves + TimeSpan.FromSeconds(30);
    }

    /// <summary>One batch; returns how many rows left the pending set and the soonest retry it scheduled.</summary>
    internal async Task<(int Settled, (DateTimeOffset Earliest, DateTimeOffset Latest)? Retries)> RelayBatchAsync(OutboxOptions settings, CancellationToken stoppingToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
        // Npgsql sends the BEGIN with the claim: one round trip. The claim's row locks are the lease; the relay's sessions
        // end a transaction left idle for longer than a batch can take (Lease), so a hung process releases its claim.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, stoppingToken);
        var timeout = platformOptions.Value.Timeout;
        var rows = (await connection.QueryAsync<ClaimedRow>(new CommandDefinition(ClaimSql,
            new { Now = clock.GetUtcNow(), settings.BatchSize },
            transaction, cancellationToken: stoppingToken))).AsList();
        if (rows.Count == 0)
        {
            await transaction.CommitAsync(stoppingToken);
            return (0, null);
        }

        // A span per batch that claimed something (the empty polls would be noise), around the deliveries and the record.
        using var activity = Telemetry.CommerceTelemetry.Source.StartActivity("OutboxRelay batch");
        activity?.SetTag("commerce.outbox.claimed", rows.Count);
        if (rows.Count == settings.BatchSize)
        {
            // Probably more where these came from: bring in an idle lane while this one delivers.
            signal.WakeAnother();
        }

        var results = new DeliveryResult?[rows.Count];
        if (platform is FileDataPlatform file)
        {
            // The local sink writes a batch in one go: one call instead of a concurrent one per event.
            var events = rows.ConvertAll(r => r.ToEvent());
            Array.Fill(results, await DeliverAsync(ct => file.DeliverAllAsync(events, ct), timeout, stoppingToken));
        }
        else
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, rows.Count), new ParallelOptions { MaxDegreeOfParallelism = settings.MaxConcurrency },
                async (i, _) => results[i] = await DeliverAsync(ct => platform.DeliverAsync(rows[i].ToEvent(), ct), timeout, stoppingToken));
        }

        var now = clock.GetUtcNow();
        var outcomes = Classify(rows, results, settings, now);
        // Not cancellable: what the platform acknowledged is recorded even while the host stops. The outcomes go with the
        // COMMIT (RecordSql ends with it), one round trip; a COMMIT sent this way completes the transaction object too.
        await connection.ExecuteAsync(new CommandDefinition(RecordSql, new
        {
            Now = now,
            DeliveredIds = outcomes.Delivered.Select(r => r.Id).ToArray(),
            RetryIds = outcomes.Retries.Select(r => r.Row.Id).ToArray(),
            RetryErrors = outcomes.Retries.Select(r => r.Error).ToArray(),
            RetryAt = outcomes.Retries.Select(r => r.At.UtcDateTime).ToArray(),
            DeadIds = outcomes.Dead.Select(r => r.Row.Id).ToArray(),
            DeadErrors = outcomes.Dead.Select(r => r.Error).ToArray(),
        }, transaction, cancellationToken: CancellationToken.None));

        Report(outcomes, now);
        var retries = outcomes.Retries.Count > 0 ? (outcomes.Retries.Min(r => r.At), outcomes.Retries.Max(r => r.At)) : ((DateTimeOffset, DateTimeOffset)?)null;
        return (outcomes.Delivered.Count + outcomes.Dead.Count, retries);
    }

    /// <summary>One platform call (an event, or a batch the local sink takes in one go) with the timeout; null when stopping interrupted it.</summary>
    private static async Task<DeliveryResult?> DeliverAsync(Func<CancellationToken, Task<DeliveryResult>> deliver, TimeSpan timeout, CancellationToken stoppingToken)
    {
        if (stoppingToken.IsCancellationRequested)
        {
            return null;
        }

        using var call = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        call.CancelAfter(timeout);
        DeliveryResult result;
        try
        {
            result = await deliver(call.Token);
        }
#pragma warning disable CA1031 // Whatever an adapter throws, the event is not delivered: it is retried, never marked delivered.
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping is not the platform's failure (cancelling can surface as a connection error too): the row
            // stays as it was, for the next relay, with the same id.
            return null;
        }
        catch (Exception) when (call.IsCancellationRequested)
        {
            return DeliveryResult.Retry($"No answer within {timeout.TotalSeconds:0.###} s.");
        }
        catch (Exception e)
        {
            return DeliveryResult.Retry($"{e.GetType().Name}: {e.Message}");
        }
#pragma warning restore CA1031

        return stoppingToken.IsCancellationRequested && result.Status != DeliveryStatus.Acknowledged ? null : result;
    }

    private static Outcomes Classify(List<ClaimedRow> rows, DeliveryResult?[] results, OutboxOptions settings, DateTimeOffset now)
    {
        var outcomes = new Outcomes();
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            switch (results[i])
            {
                case null:
                    break;
                case { Status: DeliveryStatus.Acknowledged }:
                    outcomes.Delivered.Add(row);
                    break;
                case { Status: DeliveryStatus.Rejected, Error: var error }:
                    outcomes.Dead.Add((row, error ?? "Rejected."));
                    break;
                case { Error: var error } when now - row.OccurredAt >= settings.DeadLetterAfter:
                    outcomes.Dead.Add((row, $"{error} (still failing after {row.Attempts + 1} attempts, {FormatAge(now - row.OccurredAt)} after the event; DeadLetterAfter is {settings.DeadLetterAfter})"));
                    break;
                case { Status: var status, Error: var error }:
                    outcomes.Retries.Add((row, error ?? "Failed.", now + Backoff(row.Attempts + 1, settings.InitialBackoff, settings.MaxBackoff), status == DeliveryStatus.Refused));
                    break;
            }
        }

        return outcomes;
    }

    private static string FormatAge(TimeSpan age) => age.TotalDays >= 1 ? $"{age.TotalDays:0.#} days" : $"{age.TotalSeconds:0.#} s";

    /// <summary>
    /// Exponential in the attempt number, capped, with "equal jitter": half the delay fixed, half random, so retries
    /// after an outage spread out but never come sooner than half the nominal delay.
    /// </summary>
    internal static TimeSpan Backoff(int failedAttempts, TimeSpan initial, TimeSpan max)
    {
        var nominal = Math.Min(initial.TotalMilliseconds * Math.Pow(2, Math.Min(failedAttempts - 1, 30)), max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(nominal / 2 + Random.Shared.NextDouble() * nominal / 2);
    }

    private void Report(Outcomes outcomes, DateTimeOffset now)
    {
        foreach (var row in outcomes.Delivered)
        {
            metrics.RecordDelivered(row.OccurredAt, now);
        }

        foreach (var (_, error, _, refused) in outcomes.Retries)
        {
            metrics.RecordFailed(refused, error, now);
        }

        foreach (var (row, error) in outcomes.Dead)
        {
            metrics.RecordDeadLettered();
            logger.LogError("Outbox event {EventId} ({Type}, stream {StreamId}) dead-lettered after {Attempts} attempt(s): {Error}",
                row.Id, row.Type, row.StreamId, row.Attempts + 1, error);
        }

        foreach (var refused in new[] { false, true })
        {
            if (outcomes.Retries.FindLast(r => r.Refused == refused) is { Row: not null } example)
            {
                LogFailuresAtMostOncePerMinute(example);
            }
        }
    }

    private void LogFailuresAtMostOncePerMinute((ClaimedRow Row, string Error, DateTimeOffset At, bool Refused) example)
    {
        var kind = example.Refused ? 1 : 0;
        Interlocked.Increment(ref _failuresSinceLog[kind]);
        var last = Interlocked.Read(ref _failureLoggedAt[kind]);
        var now = clock.GetTimestamp();
        if ((last != 0 && clock.GetElapsedTime(last) < FailureLogInterval) || Interlocked.CompareExchange(ref _failureLoggedAt[kind], now, last) != last)
        {
            return;
        }

        var batches = Interlocked.Exchange(ref _failuresSinceLog[kind], 0);
        if (example.Refused)
        {
            logger.LogError("The data platform refuses our deliveries ({Batches} failing batch(es) since the last report), e.g. event {EventId}: {Error}. " +
                            "Check Commerce:DataPlatform:Url and its credentials; the events are kept and retried with backoff",
                batches, example.Row.Id, example.Error);
        }
        else
        {
            logger.LogWarning("The data platform is failing ({Batches} failing batch(es) since the last report), e.g. event {EventId}: {Error}; " +
                              "the events are kept and retried with backoff", batches, example.Row.Id, example.Error);
        }
    }

    private async Task RefreshStatsIfDueAsync(OutboxOptions settings, CancellationToken ct)
    {
        if (_statsRefreshedAt != 0 && clock.GetElapsedTime(_statsRefreshedAt) < settings.StatsInterval)
        {
            return;
        }

        // On the request pool, like every read outside a batch: the relay's own connections are its lanes'.
        await using (var scope = scopes.CreateAsyncScope())
        {
            await metrics.RefreshBacklogAsync(scope.ServiceProvider.GetRequiredService<DbSession>(), ct);
        }

        _statsRefreshedAt = clock.GetTimestamp();
    }

    private sealed class Outcomes
    {
        public List<ClaimedRow> Delivered { get; } = [];

        public List<(ClaimedRow Row, string Error, DateTimeOffset At, bool Refused)> Retries { get; } = [];

        public List<(ClaimedRow Row, string Error)> Dead { get; } = [];
    }

    private sealed record ClaimedRow(Guid Id, long Seq, string StreamId, string Type, int Version, DateTimeOffset OccurredAt, string Payload, int Attempts)
    {
        public DataPlatformEvent ToEvent() => new(Id, Type, Version, OccurredAt, StreamId, Seq, Payload);
    }
}

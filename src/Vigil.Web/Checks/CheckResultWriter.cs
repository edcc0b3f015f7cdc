using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Alerts;
using Vigil.Core.Checks;
using Vigil.Core.Checks.Engine;
using Vigil.Storage;
using Vigil.Web.Hosting;
using Vigil.Web.Incidents;
using CheckResult = Vigil.Core.Checks.CheckResult;

namespace Vigil.Web.Checks;

/// <summary>
/// The batching writer: results arrive on a bounded channel; one loop takes what has queued up (at most
/// <see cref="BatchSize"/>) and, in one transaction, inserts the raw results and upserts each check's state.
/// </summary>
/// <remarks>
/// <para>Batches form by lingering: after the first result of a batch arrives the loop waits up to
/// <see cref="CheckEngineSettings.WriterFlushInterval"/> for more, so at 100 results a second a commit carries ~100 of
/// them instead of one (each commit, wake-up and transaction costs far more CPU than a row). A result that may change
/// its check's state cuts the wait short, so state changes, which alerting consumes, are never delayed by it.</para>
/// <para>The writer keeps one connection and its prepared statements for its whole life, and opens a new one only after
/// a failure (a restarted PostgreSQL, a locked file).</para>
/// <para>Current states live in memory (loaded once at start), so a state change is detected without reading the
/// database. Changes are published on <see cref="CheckStateChanges"/> only after their batch commits. Down counts as
/// a failure; up and degraded count as successes (degraded is a warning, not an outage).</para>
/// <para>The loop never dies: a failed commit is retried with capped back-off while results keep queueing up to
/// the channel's bound (publishers then wait: back-pressure instead of unbounded memory). A batch still failing
/// after <see cref="MaxAttempts"/> attempts is dropped and logged, so one poisoned batch cannot stop all storage.</para>
/// </remarks>
public sealed class CheckResultWriter(
    IDbContextFactory<VigilDbContext> dbFactory,
    CheckStateChanges changes,
    Core.Workspace.WorkspaceState workspace,
    IncidentStore incidents,
    Notifications.Paging notifications,
    VigilHostOptions options,
    ILogger<CheckResultWriter> log) : BackgroundService, ICheckResultSink
{
    public const int BatchSize = 500;
    private const int MaxAttempts = 10;

    /// <summary>From a result that fires or resolves an alert reaching the writer to its incident change committed.</summary>
    public static readonly Prometheus.Histogram AlertLatency = Prometheus.Metrics.CreateHistogram(
        "vigil_alert_incident_seconds", "From a check result that fires or resolves an alert reaching the writer to the incident change committed.",
        new Prometheus.HistogramConfiguration { Buckets = [0.001, 0.0025, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5] });

    // Each result with the time it was queued (Stopwatch ticks, for the alert latency) and who waits for its commit.
    private readonly Channel<Queued> channel = Channel.CreateBounded<Queued>(new BoundedChannelOptions(options.Engine.WriterQueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly Dictionary<(string, string), State> states = [];

    // Each check's committed status and alert, readable by publishers to tell whether a result may change them.
    private readonly ConcurrentDictionary<(string, string), (CheckStatus Status, bool Firing)> committed = new();

    // Each check's alert rule, rebuilt when a reload replaces the workspace (a lookup per result must not scan it).
    private volatile RuleIndex rules = new(null, new Dictionary<(string, string), Core.Workspace.AlertRule>());
    private volatile TaskCompletionSource flushNow = NewSignal();
    private Session? session;
    private long written;
    private long dropped;

    /// <summary>Results committed since start.</summary>
    public long Written => Interlocked.Read(ref written);

    /// <summary>Results dropped after repeated failures since start.</summary>
    public long Dropped => Interlocked.Read(ref dropped);

    /// <summary>Results queued and not yet committed.</summary>
    public int Pending => channel.Reader.Count;

    /// <summary>Transactions committed since start (for tests: batching is observable).</summary>
    public long Commits => Interlocked.Read(ref commits);

    private long commits;

    public ValueTask PublishAsync(CheckResult result, CancellationToken ct) => QueueAsync(result, null, ct);

    public async ValueTask<Task> PublishCommittedAsync(CheckResult result, CancellationToken ct)
    {
        // Completed from a thread-pool work item with the rest of its batch (WorkerThread.Release), not on the writer's thread.
        var done = new TaskCompletionSource();
        await QueueAsync(result, done, ct);
        return done.Task;
    }

    /// <summary>A queued result: when it was queued (Stopwatch ticks) and the waiter for its commit, if any.</summary>
    private readonly record struct Queued(CheckResult Result, long At, TaskCompletionSource? Waiter);

    private async ValueTask QueueAsync(CheckResult result, TaskCompletionSource? waiter, CancellationToken ct)
    {
        await channel.Writer.WriteAsync(new Queued(result, Stopwatch.GetTimestamp(), waiter), ct);
        // Written before signalled: the writer, once woken, finds this result in the channel. A result that may change
        // the check's status or fire or resolve its alert is committed at once, and so is one whose sender waits for it;
        // steady results wait for a fuller batch.
        var key = (result.ServiceId, result.CheckId);
        if (waiter is not null || !committed.TryGetValue(key, out var c) || c.Status != result.Status
            || (Rules().Map.TryGetValue(key, out var rule) && AlertEvaluator.IsFailing(rule, result.Status) != c.Firing))
        {
            flushNow.TrySetResult();
        }
    }

    private RuleIndex Rules()
    {
        var current = workspace.Current;
        var index = rules;
        if (ReferenceEquals(index.Model, current)) return index;
        var map = new Dictionary<(string, string), Core.Workspace.AlertRule>();
        foreach (var s in current.Services)
            foreach (var c in s.Checks)
                if (c.Alert is { } a) map[(s.Id, c.Id)] = a;
        return rules = new RuleIndex(current, map);
    }

    private sealed record RuleIndex(Core.Workspace.WorkspaceModel? Model, Dictionary<(string, string), Core.Workspace.AlertRule> Map);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (session is not null) await session.DisposeAsync();
        session = null;
    }

    /// <summary>The loop runs on a thread of its own (<see cref="WorkerThread"/>): a batch is a long stretch of synchronous
    /// database work, which on the thread pool held up requests and sends queued behind it.</summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => WorkerThread.Run("Vigil check writer", () => LoopAsync(stoppingToken));

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        await Retry("load check states", LoadStatesAsync, stoppingToken);
        // What was taken from the channel and not yet written (or dropped): emptied as soon as it is.
        var batch = new List<Queued>(BatchSize);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (!await channel.Reader.WaitToReadAsync(stoppingToken)) return;
                    await LingerAsync(stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                while (batch.Count < BatchSize && channel.Reader.TryRead(out var r)) batch.Add(r);
                if (!await WriteWithRetriesAsync(batch, stoppingToken)) return;
                batch.Clear();
            }
        }
        finally
        {
            // Stopping: whoever waits for a result not stored gets an error at once (a ping's caller retries), and a
            // result published after this is refused at once instead of waiting for a writer that is gone.
            channel.Writer.TryComplete();
            foreach (var left in batch) left.Waiter?.TrySetCanceled(CancellationToken.None);
            while (channel.Reader.TryRead(out var left)) left.Waiter?.TrySetCanceled(CancellationToken.None);
        }
    }

    /// <summary>Writes a batch, retrying with capped back-off; a batch still failing after <see cref="MaxAttempts"/> is
    /// dropped (its waiters get the error). Returns false when stopping cut it short.</summary>
    private async Task<bool> WriteWithRetriesAsync(List<Queued> batch, CancellationToken stoppingToken)
    {
        var results = batch.ConvertAll(q => q.Result);
        var waiters = batch.Where(q => q.Waiter is not null).Select(q => q.Waiter!).ToArray();
        var attempts = 0;
        var backoff = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                foreach (var i in await WriteBatchAsync(results, stoppingToken)) AlertLatency.Observe(Stopwatch.GetElapsedTime(batch[i].At).TotalSeconds);
                if (waiters.Length > 0) WorkerThread.Release(waiters);
                return true;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                await ResetSessionAsync();
                if (++attempts >= MaxAttempts)
                {
                    Interlocked.Add(ref dropped, batch.Count);
                    log.LogError(e, "Dropped {Count} check results after {Attempts} failed attempts to store them", batch.Count, attempts);
                    if (waiters.Length > 0) WorkerThread.Fail(waiters, e);
                    return true;
                }
                log.LogWarning(e, "Storing {Count} check results failed (attempt {Attempt}); retrying in {Backoff}", batch.Count, attempts, backoff);
                try
                {
                    await Task.Delay(backoff, options.Time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    /// <summary>Waits for a batch to fill: until the flush interval ends, the batch is full, or a result may change a state.</summary>
    private async Task LingerAsync(CancellationToken ct)
    {
        var signal = flushNow;
        var linger = options.Engine.WriterFlushInterval;
        if (!signal.Task.IsCompleted && linger > TimeSpan.Zero && channel.Reader.Count < BatchSize)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var delay = Task.Delay(linger, options.Time, timeout.Token);
            await Task.WhenAny(signal.Task, delay);
            await timeout.CancelAsync();
            ct.ThrowIfCancellationRequested();
        }
        // Re-armed before the batch is taken: a later signal then belongs to a result this batch may miss.
        if (signal.Task.IsCompleted) flushNow = NewSignal();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task Retry(string what, Func<CancellationToken, Task> action, CancellationToken ct)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await action(ct);
                return;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                log.LogWarning(e, "Could not {What}; retrying in {Backoff}", what, backoff);
                await Task.Delay(backoff, options.Time, ct);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private async Task LoadStatesAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.CheckStates.AsNoTracking()
            .Select(s => new
            {
                s.ServiceId, s.CheckId, s.Status, s.ConsecutiveFailures, s.ConsecutiveSuccesses, s.FailingSince,
                s.AlertFiring, s.AlertFailures, s.AlertSuccesses, s.AlertFailingSince,
            })
            .ToListAsync(ct);
        states.Clear();
        committed.Clear();
        foreach (var s in rows)
        {
            var state = new State(Sql.ParseStatus(s.Status), s.ConsecutiveFailures, s.ConsecutiveSuccesses, s.FailingSince,
                new AlertProgress(s.AlertFiring, s.AlertFailures, s.AlertSuccesses, s.AlertFailingSince));
            states[(s.ServiceId, s.CheckId)] = state;
            committed[(s.ServiceId, s.CheckId)] = (state.Status, state.Alert.Firing);
        }
    }

    /// <returns>The positions in the batch of the results that fired or resolved an alert.</returns>
    private async Task<List<int>> WriteBatchAsync(List<CheckResult> batch, CancellationToken ct)
    {
        // New states are computed aside and applied only after the commit, so a failed attempt leaves memory as the database is.
        var next = new Dictionary<(string, string), (State State, CheckResult Last)>();
        var stateChanges = new List<CheckStateChange>();
        var alertChanges = new List<CheckAlertChange>();
        var ruleMap = Rules().Map;
        var alerting = new List<int>();
        for (var i = 0; i < batch.Count; i++)
        {
            var r = batch[i];
            var key = (r.ServiceId, r.CheckId);
            var before = next.TryGetValue(key, out var pending) ? pending.State : states.GetValueOrDefault(key, State.Unknown);
            var rule = ruleMap.GetValueOrDefault(key);
            var (alert, transition) = AlertEvaluator.Next(rule, before.Alert, r.Status, r.At);
            var after = before.Next(r) with { Alert = alert };
            next[key] = (after, r);
            if (after.Status != before.Status) stateChanges.Add(new CheckStateChange(r.ServiceId, r.CheckId, before.Status, after.Status, r));
            if (transition == AlertTransition.None) continue;
            alertChanges.Add(new CheckAlertChange(r.ServiceId, r.CheckId, rule, transition, r));
            alerting.Add(i);
        }

        session ??= await Session.OpenAsync(dbFactory, incidents, notifications, ct);
        var queued = await session.WriteAsync(batch, next.Select(n => (n.Key, n.Value.State, n.Value.Last)).ToList(), AlertSignal.Of(workspace.Current, alertChanges), ct);
        notifications.Committed(queued);
        foreach (var (key, (state, _)) in next)
        {
            states[key] = state;
            committed[key] = (state.Status, state.Alert.Firing);
        }
        Interlocked.Increment(ref commits);
        Interlocked.Add(ref written, batch.Count);
        if (stateChanges.Count > 0) changes.Publish(stateChanges);
        return alerting;
    }

    private async Task ResetSessionAsync() => session = await WriterSession.CloseAsync(session, log);

    /// <summary>The writer's connection and its two prepared statements, kept across batches.</summary>
    private sealed class Session : WriterSession
    {
        private readonly DbCommand insert;
        private readonly DbCommand upsert;
        private readonly IncidentStore incidents;
        private readonly Notifications.Paging paging;

        private Session(VigilDbContext db, IncidentStore incidents, Notifications.Paging paging) : base(db)
        {
            this.incidents = incidents;
            this.paging = paging;
            // SQLite is in-process, so a prepared statement per row costs little; PostgreSQL pays a network round trip
            // per statement, so there each batch is one statement over arrays (unnest), whatever its size.
            insert = Sql.Command(Connection, null, Sqlite
                ? "INSERT INTO check_results (service_id, check_id, at, status, latency_ms, message, value) VALUES (@s, @c, @at, @st, @l, @m, @v)"
                : """
                  INSERT INTO check_results (service_id, check_id, at, status, latency_ms, message, value)
                  SELECT * FROM unnest(@s::text[], @c::text[], @at::timestamptz[], @st::text[], @l::double precision[], @m::text[], @v::double precision[])
                  """,
                "@s", "@c", "@at", "@st", "@l", "@m", "@v");
            const string conflict = """
                ON CONFLICT (service_id, check_id) DO UPDATE SET status = excluded.status, last_checked_at = excluded.last_checked_at,
                  latency_ms = excluded.latency_ms, message = excluded.message, consecutive_failures = excluded.consecutive_failures,
                  consecutive_successes = excluded.consecutive_successes, failing_since = excluded.failing_since,
                  alert_firing = excluded.alert_firing, alert_failures = excluded.alert_failures, alert_successes = excluded.alert_successes,
                  alert_failing_since = excluded.alert_failing_since
                """;
            upsert = Sql.Command(Connection, null, (Sqlite
                ? """
                  INSERT INTO check_states (service_id, check_id, status, last_checked_at, latency_ms, message, consecutive_failures, consecutive_successes, failing_since,
                    alert_firing, alert_failures, alert_successes, alert_failing_since)
                  VALUES (@s, @c, @st, @at, @l, @m, @f, @ok, @since, @af, @abad, @agood, @asince)
                  """
                : """
                  INSERT INTO check_states (service_id, check_id, status, last_checked_at, latency_ms, message, consecutive_failures, consecutive_successes, failing_since,
                    alert_firing, alert_failures, alert_successes, alert_failing_since)
                  SELECT * FROM unnest(@s::text[], @c::text[], @st::text[], @at::timestamptz[], @l::double precision[], @m::text[], @f::integer[], @ok::integer[], @since::timestamptz[],
                    @af::boolean[], @abad::integer[], @agood::integer[], @asince::timestamptz[])
                  """) + "\n" + conflict,
                "@s", "@c", "@st", "@at", "@l", "@m", "@f", "@ok", "@since", "@af", "@abad", "@agood", "@asince");
        }

        public static Task<Session> OpenAsync(IDbContextFactory<VigilDbContext> factory, IncidentStore incidents, Notifications.Paging paging, CancellationToken ct) =>
            OpenAsync(factory, db => new Session(db, incidents, paging), ct);

        protected override IEnumerable<DbCommand> Statements => [insert, upsert];

        /// <summary>Stores a batch and applies its alerts in one transaction; returns the notifications and escalations
        /// that queued, to hand on once it is committed.</summary>
        public async Task<Notifications.Handoff> WriteAsync(List<CheckResult> batch, IReadOnlyList<((string Service, string Check) Key, State State, CheckResult Last)> states,
            List<AlertSignal> alerts, CancellationToken ct)
        {
            var queued = Notifications.Handoff.None;
            await using var tx = await Connection.BeginTransactionAsync(ct);
            insert.Transaction = tx;
            upsert.Transaction = tx;
            if (Sqlite)
            {
                foreach (var r in batch)
                {
                    Sql.Set(insert, "@s", r.ServiceId);
                    Sql.Set(insert, "@c", r.CheckId);
                    Sql.Set(insert, "@at", Sql.Time(Sqlite, r.At));
                    Sql.Set(insert, "@st", Sql.Status(r.Status));
                    Sql.Set(insert, "@l", r.LatencyMs);
                    Sql.Set(insert, "@m", r.Message);
                    Sql.Set(insert, "@v", r.Value);
                    await insert.ExecuteNonQueryAsync(ct);
                }
                foreach (var ((service, check), state, last) in states)
                {
                    Sql.Set(upsert, "@s", service);
                    Sql.Set(upsert, "@c", check);
                    Sql.Set(upsert, "@st", Sql.Status(state.Status));
                    Sql.Set(upsert, "@at", Sql.Time(Sqlite, last.At));
                    Sql.Set(upsert, "@l", last.LatencyMs);
                    Sql.Set(upsert, "@m", last.Message);
                    Sql.Set(upsert, "@f", state.ConsecutiveFailures);
                    Sql.Set(upsert, "@ok", state.ConsecutiveSuccesses);
                    Sql.Set(upsert, "@since", Sql.Time(Sqlite, state.FailingSince));
                    Sql.Set(upsert, "@af", state.Alert.Firing);
                    Sql.Set(upsert, "@abad", state.Alert.Bad);
                    Sql.Set(upsert, "@agood", state.Alert.Good);
                    Sql.Set(upsert, "@asince", Sql.Time(Sqlite, state.Alert.BadSince));
                    await upsert.ExecuteNonQueryAsync(ct);
                }
            }
            else
            {
                Sql.Set(insert, "@s", batch.Select(r => r.ServiceId).ToArray());
                Sql.Set(insert, "@c", batch.Select(r => r.CheckId).ToArray());
                Sql.Set(insert, "@at", batch.Select(r => r.At.ToUniversalTime()).ToArray());
                Sql.Set(insert, "@st", batch.Select(r => Sql.Status(r.Status)).ToArray());
                Sql.Set(insert, "@l", batch.Select(r => r.LatencyMs).ToArray());
                Sql.Set(insert, "@m", batch.Select(r => r.Message).ToArray());
                Sql.Set(insert, "@v", batch.Select(r => r.Value).ToArray());
                await insert.ExecuteNonQueryAsync(ct);
                Sql.Set(upsert, "@s", states.Select(s => s.Key.Service).ToArray());
                Sql.Set(upsert, "@c", states.Select(s => s.Key.Check).ToArray());
                Sql.Set(upsert, "@st", states.Select(s => Sql.Status(s.State.Status)).ToArray());
                Sql.Set(upsert, "@at", states.Select(s => s.Last.At.ToUniversalTime()).ToArray());
                Sql.Set(upsert, "@l", states.Select(s => s.Last.LatencyMs).ToArray());
                Sql.Set(upsert, "@m", states.Select(s => s.Last.Message).ToArray());
                Sql.Set(upsert, "@f", states.Select(s => s.State.ConsecutiveFailures).ToArray());
                Sql.Set(upsert, "@ok", states.Select(s => s.State.ConsecutiveSuccesses).ToArray());
                Sql.Set(upsert, "@since", states.Select(s => s.State.FailingSince?.ToUniversalTime()).ToArray());
                Sql.Set(upsert, "@af", states.Select(s => s.State.Alert.Firing).ToArray());
                Sql.Set(upsert, "@abad", states.Select(s => s.State.Alert.Bad).ToArray());
                Sql.Set(upsert, "@agood", states.Select(s => s.State.Alert.Good).ToArray());
                Sql.Set(upsert, "@asince", states.Select(s => s.State.Alert.BadSince?.ToUniversalTime()).ToArray());
                await upsert.ExecuteNonQueryAsync(ct);
            }
            if (alerts.Count > 0)
            {
                // Alerts fired or resolved by this batch open, join or resolve incidents in the same transaction.
                queued = await ApplyToIncidentsAsync(tx, incidents, paging, alerts, null, ct);
            }
            await tx.CommitAsync(ct);
            return queued;
        }
    }

    private readonly record struct State(CheckStatus Status, int ConsecutiveFailures, int ConsecutiveSuccesses, DateTimeOffset? FailingSince, AlertProgress Alert)
    {
        public static readonly State Unknown = new(CheckStatus.Unknown, 0, 0, null, AlertProgress.None);

        public State Next(CheckResult r) => r.Status == CheckStatus.Down
            ? new State(r.Status, ConsecutiveFailures + 1, 0, FailingSince ?? r.At, Alert)
            : new State(r.Status, 0, ConsecutiveSuccesses + 1, null, Alert);
    }
}

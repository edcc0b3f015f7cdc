using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Checks;
using Vigil.Core.Checks.Engine;
using Vigil.Storage;
using Vigil.Web.Hosting;
using CheckResult = Vigil.Core.Checks.CheckResult;

namespace Vigil.Web.Checks;

/// <summary>
/// The batching writer: results arrive on a bounded channel; one loop takes what has queued up (at most
/// <see cref="BatchSize"/>) and, in one transaction, inserts the raw results and upserts each check's state.
/// </summary>
/// <remarks>
/// <para>There is no artificial wait for a batch to fill: while one commit runs, the next batch queues up behind it,
/// so the batch size follows the load (group commit) and a lone result is stored at once.</para>
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
    VigilHostOptions options,
    ILogger<CheckResultWriter> log) : BackgroundService, ICheckResultSink
{
    public const int BatchSize = 500;
    private const int MaxAttempts = 10;

    private readonly Channel<CheckResult> channel = Channel.CreateBounded<CheckResult>(new BoundedChannelOptions(options.Engine.WriterQueueCapacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly Dictionary<(string, string), State> states = [];
    private long written;
    private long dropped;

    /// <summary>Results committed since start.</summary>
    public long Written => Interlocked.Read(ref written);

    /// <summary>Results dropped after repeated failures since start.</summary>
    public long Dropped => Interlocked.Read(ref dropped);

    /// <summary>Results queued and not yet committed.</summary>
    public int Pending => channel.Reader.Count;

    public ValueTask PublishAsync(CheckResult result, CancellationToken ct) => channel.Writer.WriteAsync(result, ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Retry("load check states", LoadStatesAsync, stoppingToken);
        var batch = new List<CheckResult>(BatchSize);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await channel.Reader.WaitToReadAsync(stoppingToken)) return;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            batch.Clear();
            while (batch.Count < BatchSize && channel.Reader.TryRead(out var r)) batch.Add(r);
            var attempts = 0;
            var backoff = TimeSpan.FromMilliseconds(250);
            while (true)
            {
                try
                {
                    await WriteBatchAsync(batch, stoppingToken);
                    break;
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    if (++attempts >= MaxAttempts)
                    {
                        Interlocked.Add(ref dropped, batch.Count);
                        log.LogError(e, "Dropped {Count} check results after {Attempts} failed attempts to store them", batch.Count, attempts);
                        break;
                    }
                    log.LogWarning(e, "Storing {Count} check results failed (attempt {Attempt}); retrying in {Backoff}", batch.Count, attempts, backoff);
                    try
                    {
                        await Task.Delay(backoff, options.Time, stoppingToken);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

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
            .Select(s => new { s.ServiceId, s.CheckId, s.Status, s.ConsecutiveFailures, s.ConsecutiveSuccesses, s.FailingSince })
            .ToListAsync(ct);
        states.Clear();
        foreach (var s in rows)
        {
            states[(s.ServiceId, s.CheckId)] = new State(Sql.ParseStatus(s.Status), s.ConsecutiveFailures, s.ConsecutiveSuccesses, s.FailingSince);
        }
    }

    private async Task WriteBatchAsync(List<CheckResult> batch, CancellationToken ct)
    {
        // New states are computed aside and applied only after the commit, so a failed attempt leaves memory as the database is.
        var next = new Dictionary<(string, string), (State State, CheckResult Last)>();
        var stateChanges = new List<CheckStateChange>();
        foreach (var r in batch)
        {
            var key = (r.ServiceId, r.CheckId);
            var before = next.TryGetValue(key, out var pending) ? pending.State : states.GetValueOrDefault(key, State.Unknown);
            var after = before.Next(r);
            next[key] = (after, r);
            if (after.Status != before.Status) stateChanges.Add(new CheckStateChange(r.ServiceId, r.CheckId, before.Status, after.Status, r));
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        var connection = db.Database.GetDbConnection();
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            await using var insert = Sql.Command(connection, tx,
                "INSERT INTO check_results (service_id, check_id, at, status, latency_ms, message, value) VALUES (@s, @c, @at, @st, @l, @m, @v)",
                "@s", "@c", "@at", "@st", "@l", "@m", "@v");
            foreach (var r in batch)
            {
                Sql.Set(insert, "@s", r.ServiceId);
                Sql.Set(insert, "@c", r.CheckId);
                Sql.Set(insert, "@at", Sql.Time(db, r.At));
                Sql.Set(insert, "@st", Sql.Status(r.Status));
                Sql.Set(insert, "@l", r.LatencyMs);
                Sql.Set(insert, "@m", r.Message);
                Sql.Set(insert, "@v", r.Value);
                await insert.ExecuteNonQueryAsync(ct);
            }
            await using var upsert = Sql.Command(connection, tx,
                """
                INSERT INTO check_states (service_id, check_id, status, last_checked_at, latency_ms, message, consecutive_failures, consecutive_successes, failing_since)
                VALUES (@s, @c, @st, @at, @l, @m, @f, @ok, @since)
                ON CONFLICT (service_id, check_id) DO UPDATE SET status = excluded.status, last_checked_at = excluded.last_checked_at,
                  latency_ms = excluded.latency_ms, message = excluded.message, consecutive_failures = excluded.consecutive_failures,
                  consecutive_successes = excluded.consecutive_successes, failing_since = excluded.failing_since
                """,
                "@s", "@c", "@st", "@at", "@l", "@m", "@f", "@ok", "@since");
            foreach (var ((service, check), (state, last)) in next)
            {
                Sql.Set(upsert, "@s", service);
                Sql.Set(upsert, "@c", check);
                Sql.Set(upsert, "@st", Sql.Status(state.Status));
                Sql.Set(upsert, "@at", Sql.Time(db, last.At));
                Sql.Set(upsert, "@l", last.LatencyMs);
                Sql.Set(upsert, "@m", last.Message);
                Sql.Set(upsert, "@f", state.ConsecutiveFailures);
                Sql.Set(upsert, "@ok", state.ConsecutiveSuccesses);
                Sql.Set(upsert, "@since", Sql.Time(db, state.FailingSince));
                await upsert.ExecuteNonQueryAsync(ct);
            }
            await tx.CommitAsync(ct);
        }
        foreach (var (key, (state, _)) in next) states[key] = state;
        Interlocked.Add(ref written, batch.Count);
        if (stateChanges.Count > 0) changes.Publish(stateChanges);
    }

    private readonly record struct State(CheckStatus Status, int ConsecutiveFailures, int ConsecutiveSuccesses, DateTimeOffset? FailingSince)
    {
        public static readonly State Unknown = new(CheckStatus.Unknown, 0, 0, null);

        public State Next(CheckResult r) => r.Status == CheckStatus.Down
            ? new State(r.Status, ConsecutiveFailures + 1, 0, FailingSince ?? r.At)
            : new State(r.Status, 0, ConsecutiveSuccesses + 1, null);
    }
}

using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Checks;
using Vigil.Core.Checks.Heartbeat;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Checks;
using Vigil.Web.Hosting;
using CheckResult = Vigil.Core.Checks.CheckResult;
using StoredHeartbeat = Vigil.Storage.Heartbeat;

namespace Vigil.Web.Heartbeats;

/// <summary>What a job reported: <c>/ping/{key}</c>, <c>/start</c>, <c>/fail</c> or <c>/{exit_code}</c>.</summary>
public enum PingKind
{
    Success,
    Start,
    Fail,
    Exit,
}

/// <summary>What a ping did: the result it published (none for <c>/start</c>) and the run's duration when a start preceded it.</summary>
public sealed record PingOutcome(CheckResult? Result, double? DurationMs);

/// <summary>
/// Heartbeats against the database: keeps one row per heartbeat check (its key and deadline), records
/// pings, and finds the late ones. All state is in the <c>heartbeats</c> table, so a restart loses nothing.
/// </summary>
public sealed class HeartbeatService(
    IDbContextFactory<VigilDbContext> dbFactory,
    WorkspaceState state,
    ICheckResultSink sink,
    TimeProvider time,
    ILogger<HeartbeatService> log) : BackgroundService
{
    /// <summary>A ping's body is kept up to this many bytes; the rest is dropped, the ping still counts.</summary>
    public const int MaxBodyBytes = 10 * 1024;

    /// <summary>Pings kept per heartbeat; older ones are deleted as new ones arrive, so an anonymous caller cannot grow the table.</summary>
    public const int PingsKept = 100;

    public const string StateNew = "new";
    public const string StateUp = "up";
    public const string StateDown = "down";

    private readonly SemaphoreSlim syncGate = new(1, 1);

    /// <summary>
    /// Makes the <c>heartbeats</c> table match the workspace: a row per heartbeat check, keyed by the
    /// workspace's <c>key</c> or by a generated one kept across restarts and reloads; rows of removed
    /// checks are deleted; deadlines follow changed periods, schedules and grace.
    /// </summary>
    public async Task SyncAsync(WorkspaceModel workspace, CancellationToken ct)
    {
        await syncGate.WaitAsync(ct);
        try
        {
            var checks = HeartbeatChecks(workspace).ToList();
            // The workspace names a new key for a heartbeat: the old one stops working at once, the history stays.
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                var keys = await db.Heartbeats.AsNoTracking().ToDictionaryAsync(h => (h.ServiceId, h.CheckId), h => h.Key, ct);
                foreach (var (service, check, spec) in checks)
                {
                    if (spec.Key is not null && keys.TryGetValue((service.Id, check.Id), out var old) && old != spec.Key && !keys.ContainsValue(spec.Key))
                    {
                        await ReplaceKeyAsync(db, old, spec.Key, ct);
                    }
                }
            }
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                var rows = await db.Heartbeats.ToListAsync(ct);
                var byCheck = rows.ToDictionary(r => (r.ServiceId, r.CheckId));
                var wanted = new HashSet<(string, string)>();
                var now = time.GetUtcNow();
                foreach (var (service, check, spec) in checks)
                {
                    wanted.Add((service.Id, check.Id));
                    if (!byCheck.TryGetValue((service.Id, check.Id), out var row))
                    {
                        var key = spec.Key ?? GenerateKey();
                        if (rows.Any(r => r.Key == key) || db.Heartbeats.Local.Any(r => r.Key == key))
                        {
                            log.LogWarning("Heartbeat {Service}/{Check}: its key is already used by another heartbeat; give each heartbeat its own key", service.Id, check.Id);
                            continue;
                        }
                        row = new StoredHeartbeat { Key = key, ServiceId = service.Id, CheckId = check.Id, State = StateNew };
                        db.Heartbeats.Add(row);
                    }
                    // A job that never pinged is expected from when Vigil started watching it; one that did, from its last ping.
                    var deadline = row.LastPingAt is { } last ? HeartbeatSchedule.Deadline(spec, last, workspace.Timezone)
                        : row.NextDueAt ?? HeartbeatSchedule.Deadline(spec, now, workspace.Timezone);
                    row.NextDueAt = deadline == DateTimeOffset.MaxValue ? null : deadline;
                }
                db.Heartbeats.RemoveRange(rows.Where(r => !wanted.Contains((r.ServiceId, r.CheckId))));
                await db.SaveChangesAsync(ct);
            }
        }
        finally
        {
            syncGate.Release();
        }
    }

    private static async Task ReplaceKeyAsync(VigilDbContext db, string oldKey, string newKey, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var old = await db.Heartbeats.AsNoTracking().SingleAsync(h => h.Key == oldKey, ct);
        // (service, check) is unique: move the old row aside, insert the new key, move the pings, drop the old row.
        await db.Heartbeats.Where(h => h.Key == oldKey).ExecuteUpdateAsync(s => s.SetProperty(h => h.CheckId, old.CheckId + "~replaced"), ct);
        db.Heartbeats.Add(new StoredHeartbeat
        {
            Key = newKey,
            ServiceId = old.ServiceId,
            CheckId = old.CheckId,
            LastPingAt = old.LastPingAt,
            LastStartAt = old.LastStartAt,
            LastStatus = old.LastStatus,
            NextDueAt = old.NextDueAt,
            State = old.State,
        });
        await db.SaveChangesAsync(ct);
        await db.HeartbeatPings.Where(p => p.Key == oldKey).ExecuteUpdateAsync(s => s.SetProperty(p => p.Key, newKey), ct);
        await db.Heartbeats.Where(h => h.Key == oldKey).ExecuteDeleteAsync(ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        session = await WriterSession.CloseAsync(session, log);
    }

    /// <summary>Records a ping; returns once it is committed and so is the result it reports, with the alert and incident
    /// changes that result makes (a job told "OK" has its failure on record). Null when no heartbeat has this key.</summary>
    /// <remarks>
    /// <para>Pings queue for one writer loop that records what has queued up in one transaction
    /// (<see cref="ExecuteAsync"/>): measured with 32 jobs pinging at once, a transaction per request left the
    /// requests' threads waiting for SQLite's write lock in turn, and the thread pool starved (p50 235 ms).</para>
    /// <para>Answering only after the result's commit, not the ping's, also paces a burst of pings by what storing their
    /// results costs: answered after the ping alone, 32 jobs sending failures one after another queued hundreds of
    /// results, and so hundreds of new incidents, behind each other.</para>
    /// </remarks>
    public async Task<PingOutcome?> PingAsync(string key, PingKind kind, int? exitCode, string? body, string? remoteAddress, CancellationToken ct)
    {
        var ping = new QueuedPing(key, kind, exitCode, string.IsNullOrEmpty(body) ? null : body, remoteAddress);
        await queue.Writer.WriteAsync(ping, ct);
        var outcome = await ping.Done.Task;
        if (ping.ResultCommitted is { } committed) await committed;
        return outcome;
    }

    /// <summary>A ping waiting to be recorded; <see cref="Done"/> completes after its commit, when its result is queued
    /// (<see cref="ResultCommitted"/> then completes after the result's own commit).</summary>
    private sealed record QueuedPing(string Key, PingKind Kind, int? ExitCode, string? Body, string? RemoteAddress)
    {
        public TaskCompletionSource<PingOutcome?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task? ResultCommitted { get; set; }
    }

    private const int BatchSize = 500;

    /// <summary>Ping transactions committed since start (for tests: batching is observable).</summary>
    public long Commits => Interlocked.Read(ref commits);

    private long commits;

    private readonly System.Threading.Channels.Channel<QueuedPing> queue = System.Threading.Channels.Channel.CreateBounded<QueuedPing>(new System.Threading.Channels.BoundedChannelOptions(10_000)
    {
        SingleReader = true,
        FullMode = System.Threading.Channels.BoundedChannelFullMode.Wait,
    });

    /// <summary>The ping writer, on a thread of its own (its transactions are synchronous work on SQLite).</summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => WorkerThread.Run("Vigil heartbeat writer", () => WriteLoopAsync(stoppingToken));

    private async Task WriteLoopAsync(CancellationToken ct)
    {
        var batch = new List<QueuedPing>(BatchSize);
        try
        {
            while (await queue.Reader.WaitToReadAsync(ct))
            {
                batch.Clear();
                while (batch.Count < BatchSize && queue.Reader.TryRead(out var ping)) batch.Add(ping);
                PingOutcome?[] outcomes;
                try
                {
                    outcomes = await RecordAsync(batch, ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    // One ping the database refuses fails alone (its caller gets an error and retries), not its batch.
                    log.LogWarning(e, "Recording {Count} pings together failed; recording them one by one", batch.Count);
                    outcomes = new PingOutcome?[batch.Count];
                    for (var i = 0; i < batch.Count; i++)
                    {
                        try
                        {
                            outcomes[i] = (await RecordAsync([batch[i]], ct))[0];
                        }
                        catch (Exception one) when (!ct.IsCancellationRequested)
                        {
                            log.LogError(one, "Could not record a ping; its caller gets an error and may retry");
                            batch[i].Done.TrySetException(one);
                        }
                    }
                }
                // Only what was committed is published and answered (a failed ping's task has its error already).
                await FinishAsync(batch, outcomes, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        // Shutting down: the callers of pings not recorded get an error, and their jobs retry; a ping that comes after
        // this gets one at once (a 503) instead of waiting for a writer that is gone.
        queue.Writer.TryComplete();
        foreach (var ping in batch) ping.Done.TrySetCanceled(CancellationToken.None);
        while (queue.Reader.TryRead(out var left)) left.Done.TrySetCanceled(CancellationToken.None);
    }

    /// <summary>After the commit: the results go to the check writer, in order, then the callers wait for their commit.</summary>
    private async Task FinishAsync(List<QueuedPing> batch, PingOutcome?[] outcomes, CancellationToken ct)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i]?.Result is not { } result) continue;
            try
            {
                batch[i].ResultCommitted = await sink.PublishCommittedAsync(result, ct);
            }
            catch (Exception e) when (e is System.Threading.Channels.ChannelClosedException or OperationCanceledException)
            {
                // The check writer has stopped: the caller gets an error (a 503) and retries.
                batch[i].ResultCommitted = Task.FromException(e);
            }
        }
        for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(outcomes[i]);
    }

    /// <summary>Records a batch of pings in one transaction: each ping's row, its heartbeat's new state and deadline (pings
    /// of one heartbeat applied in the order they came), and each heartbeat's pings trimmed to <see cref="PingsKept"/>.</summary>
    /// <remarks>On the writer's own connection with its statements prepared once (<see cref="PingSession"/>): through EF
    /// (a context, tracked rows, a save per batch) a batch of 32 pings took 6-10 ms, holding SQLite's write lock meanwhile.</remarks>
    private async Task<PingOutcome?[]> RecordAsync(List<QueuedPing> batch, CancellationToken ct)
    {
        session ??= await WriterSession.OpenAsync(dbFactory, db => new PingSession(db), ct);
        try
        {
            var outcomes = await session.RecordAsync(batch, state.Current, time.GetUtcNow(), ct);
            Interlocked.Increment(ref commits);
            return outcomes;
        }
        catch
        {
            // A new connection for the next attempt (a restarted PostgreSQL, a locked file).
            session = await WriterSession.CloseAsync(session, log);
            throw;
        }
    }

    private PingSession? session;

    /// <summary>The ping writer's connection and its prepared statements, kept across batches.</summary>
    private sealed class PingSession : WriterSession
    {
        private readonly DbCommand find;
        private readonly DbCommand insert;
        private readonly DbCommand update;
        private readonly DbCommand over;
        private readonly DbCommand trim;

        public PingSession(VigilDbContext db) : base(db)
        {
            var list = Sqlite ? "IN (SELECT value FROM json_each(@keys))" : "= ANY(@keys)";
            find = Sql.Command(Connection, null,
                $"""SELECT "key", service_id, check_id, last_ping_at, last_start_at, last_status, next_due_at, state FROM heartbeats WHERE "key" {list}""", "@keys");
            insert = Sql.Command(Connection, null,
                """INSERT INTO heartbeat_pings ("key", at, kind, exit_code, body, remote_address, duration_ms) VALUES (@k, @at, @kind, @exit, @body, @from, @ms)""",
                "@k", "@at", "@kind", "@exit", "@body", "@from", "@ms");
            update = Sql.Command(Connection, null,
                """UPDATE heartbeats SET last_ping_at = @ping, last_start_at = @start, last_status = @status, next_due_at = @due, state = @state WHERE "key" = @k""",
                "@k", "@ping", "@start", "@status", "@due", "@state");
            // Older pings go as new ones arrive, so an anonymous caller cannot grow the table. One look for the heartbeats
            // past the bound first: a statement per heartbeat of the batch was most of a burst's ping transactions.
            over = Sql.Command(Connection, null, $"""SELECT "key" FROM heartbeat_pings WHERE "key" {list} GROUP BY "key" HAVING count(*) > @kept""", "@keys", "@kept");
            trim = Sql.Command(Connection, null, """
                DELETE FROM heartbeat_pings WHERE "key" = @k
                  AND id <= (SELECT id FROM heartbeat_pings WHERE "key" = @k ORDER BY id DESC LIMIT 1 OFFSET @kept)
                """, "@k", "@kept");
        }

        protected override IEnumerable<DbCommand> Statements => [find, insert, update, over, trim];

        public async Task<PingOutcome?[]> RecordAsync(List<QueuedPing> batch, WorkspaceModel workspace, DateTimeOffset now, CancellationToken ct)
        {
            await using var tx = await Connection.BeginTransactionAsync(ct);
            foreach (var statement in Statements) statement.Transaction = tx;
            var keys = batch.Select(p => p.Key).Distinct(StringComparer.Ordinal).ToList();
            var rows = new Dictionary<string, StoredHeartbeat>(StringComparer.Ordinal);
            Sql.Set(find, "@keys", Sql.Keys(Sqlite, keys));
            await using (var reader = await find.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    var row = new StoredHeartbeat
                    {
                        Key = reader.GetString(0),
                        ServiceId = reader.GetString(1),
                        CheckId = reader.GetString(2),
                        LastPingAt = reader.IsDBNull(3) ? null : Sql.ReadTime(reader, 3),
                        LastStartAt = reader.IsDBNull(4) ? null : Sql.ReadTime(reader, 4),
                        LastStatus = reader.IsDBNull(5) ? null : reader.GetString(5),
                        NextDueAt = reader.IsDBNull(6) ? null : Sql.ReadTime(reader, 6),
                        State = reader.GetString(7),
                    };
                    rows[row.Key] = row;
                }
            }
            var outcomes = new PingOutcome?[batch.Count];
            var changed = new HashSet<StoredHeartbeat>();
            for (var i = 0; i < batch.Count; i++)
            {
                if (!rows.TryGetValue(batch[i].Key, out var row) || Find(workspace, row) is not { } found) continue;
                var (outcome, ping) = Apply(row, found.Spec, batch[i], workspace, now);
                outcomes[i] = outcome;
                changed.Add(row);
                Sql.Set(insert, "@k", ping.Key);
                Sql.Set(insert, "@at", Sql.Time(Sqlite, ping.At));
                Sql.Set(insert, "@kind", ping.Kind);
                Sql.Set(insert, "@exit", ping.ExitCode);
                Sql.Set(insert, "@body", ping.Body);
                Sql.Set(insert, "@from", ping.RemoteAddress);
                Sql.Set(insert, "@ms", ping.DurationMs);
                await insert.ExecuteNonQueryAsync(ct);
            }
            foreach (var row in changed)
            {
                Sql.Set(update, "@k", row.Key);
                Sql.Set(update, "@ping", Sql.Time(Sqlite, row.LastPingAt));
                Sql.Set(update, "@start", Sql.Time(Sqlite, row.LastStartAt));
                Sql.Set(update, "@status", row.LastStatus);
                Sql.Set(update, "@due", Sql.Time(Sqlite, row.NextDueAt));
                Sql.Set(update, "@state", row.State);
                await update.ExecuteNonQueryAsync(ct);
            }
            if (changed.Count > 0)
            {
                Sql.Set(over, "@keys", Sql.Keys(Sqlite, changed.Select(r => r.Key)));
                Sql.Set(over, "@kept", PingsKept);
                var past = new List<string>();
                await using (var reader = await over.ExecuteReaderAsync(ct))
                {
                    while (await reader.ReadAsync(ct)) past.Add(reader.GetString(0));
                }
                foreach (var key in past)
                {
                    Sql.Set(trim, "@k", key);
                    Sql.Set(trim, "@kept", PingsKept);
                    await trim.ExecuteNonQueryAsync(ct);
                }
            }
            await tx.CommitAsync(ct);
            return outcomes;
        }
    }

    /// <summary>Applies one ping to its heartbeat row (in memory); returns what it reports and the ping's own row, to store.</summary>
    private static (PingOutcome Outcome, HeartbeatPing Ping) Apply(StoredHeartbeat row, HeartbeatCheckSpec spec, QueuedPing ping, WorkspaceModel workspace, DateTimeOffset now)
    {
        var (kind, exitCode) = (ping.Kind, ping.ExitCode);
        double? duration = kind != PingKind.Start && row.LastStartAt is { } started && started <= now ? (now - started).TotalMilliseconds : null;
        var kindName = kind.ToString().ToLowerInvariant();
        var stored = new HeartbeatPing
        {
            Key = ping.Key,
            At = now,
            Kind = kindName,
            ExitCode = exitCode,
            Body = ping.Body,
            RemoteAddress = ping.RemoteAddress,
            DurationMs = duration,
        };
        if (kind == PingKind.Start)
        {
            // A start says the run began; the deadline still waits for its end.
            row.LastStartAt = now;
            row.LastStatus = kindName;
            return (new PingOutcome(null, duration), stored);
        }
        var ok = kind == PingKind.Success || (kind == PingKind.Exit && exitCode == 0);
        var deadline = HeartbeatSchedule.Deadline(spec, now, workspace.Timezone);
        row.LastPingAt = now;
        row.LastStartAt = null;
        row.LastStatus = kindName;
        row.NextDueAt = deadline == DateTimeOffset.MaxValue ? null : deadline;
        row.State = ok ? StateUp : StateDown;
        var ran = duration is { } d ? $" after a run of {Durations.Format(TimeSpan.FromMilliseconds(Math.Round(d / 1000) * 1000))}" : "";
        var message = kind switch
        {
            PingKind.Success => $"ping received{ran}",
            PingKind.Fail => $"the job reported failure{ran}",
            _ => ok ? $"the job exited with code 0{ran}" : $"the job exited with code {exitCode}{ran}",
        };
        return (new PingOutcome(new CheckResult(row.ServiceId, row.CheckId, CheckKind.Heartbeat, now, ok ? CheckStatus.Up : CheckStatus.Down, duration ?? 0, message, exitCode, null), duration), stored);
    }

    /// <summary>
    /// Publishes a down result for every heartbeat past its deadline that is not down yet. Each one is
    /// claimed with a conditional update first, so two instances (or a loop and a test) never both report it,
    /// and a ping that arrived meanwhile (which moved the deadline) wins.
    /// </summary>
    /// <returns>How many heartbeats went down.</returns>
    /// <summary>Whether <paramref name="workspace"/> has any heartbeat check (worked out once per workspace model).</summary>
    public static bool HasHeartbeats(WorkspaceModel workspace) =>
        HeartbeatKinds.GetValue(workspace, static w => new StrongBox<bool>(w.Services.Any(s => s.Checks.Any(c => c.Kind == CheckKind.Heartbeat)))).Value;

    private static readonly ConditionalWeakTable<WorkspaceModel, StrongBox<bool>> HeartbeatKinds = new();

    public async Task<int> SweepAsync(CancellationToken ct)
    {
        // Without heartbeat checks nothing can be late: no query every second for nothing.
        if (!HasHeartbeats(state.Current)) return 0;
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var due = await db.Heartbeats.AsNoTracking()
            .Where(h => h.State != StateDown && h.NextDueAt != null && h.NextDueAt <= now)
            .OrderBy(h => h.NextDueAt).Take(500).ToListAsync(ct);
        var workspace = state.Current;
        var count = 0;
        foreach (var row in due)
        {
            if (Find(workspace, row) is not { } found) continue;
            var claimed = await db.Heartbeats
                .Where(h => h.Key == row.Key && h.State == row.State && h.NextDueAt != null && h.NextDueAt <= now)
                .ExecuteUpdateAsync(s => s.SetProperty(h => h.State, StateDown), ct);
            if (claimed != 1) continue;
            var expectedBy = row.NextDueAt!.Value - found.Spec.Grace;
            await sink.PublishAsync(new CheckResult(row.ServiceId, row.CheckId, CheckKind.Heartbeat, now, CheckStatus.Down, 0,
                HeartbeatSchedule.LateMessage(expectedBy, row.LastPingAt), null, null), ct);
            count++;
        }
        return count;
    }

    /// <summary>
    /// At startup, before the first sweep and before the server takes pings: a heartbeat the sweep claimed as late
    /// (<c>down</c>, past its deadline) whose down result never reached its check's state (the process died between the
    /// claim's commit and the result's) is made claimable again, so the sweep reports it now instead of never. The check
    /// writer is the record: its state says whether the result was stored. (A ping's failure lost the same way is not
    /// touched: its caller got no answer and retries.)
    /// </summary>
    /// <returns>How many heartbeats were made claimable again.</returns>
    public async Task<int> ReclaimUnreportedLateAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var down = Sql.Status(CheckStatus.Down);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var reclaimed = await db.Heartbeats
            .Where(h => h.State == StateDown && h.NextDueAt != null && h.NextDueAt <= now
                        && !db.CheckStates.Any(c => c.ServiceId == h.ServiceId && c.CheckId == h.CheckId && c.Status == down))
            .ExecuteUpdateAsync(u => u.SetProperty(h => h.State, h => h.LastPingAt == null ? StateNew : StateUp), ct);
        if (reclaimed > 0) log.LogWarning("{Count} late heartbeats claimed before a crash had no result stored; they are reported again now", reclaimed);
        return reclaimed;
    }

    /// <summary>The ping keys of a service's heartbeat checks, by check id.</summary>
    public async Task<Dictionary<string, string>> KeysAsync(string serviceId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Heartbeats.AsNoTracking().Where(h => h.ServiceId == serviceId).ToDictionaryAsync(h => h.CheckId, h => h.Key, ct);
    }

    public override void Dispose()
    {
        syncGate.Dispose();
        base.Dispose();
    }

    /// <summary>A new ping key: 24 random bytes, URL-safe base64 (32 characters).</summary>
    public static string GenerateKey()
    {
        Span<byte> bytes = stackalloc byte[24];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_').TrimEnd('=');
    }

    /// <summary>The heartbeat checks of a workspace.</summary>
    public static IEnumerable<(Service Service, Check Check, HeartbeatCheckSpec Spec)> HeartbeatChecks(WorkspaceModel workspace) =>
        from s in workspace.Services
        from c in s.Checks
        where c.Spec is HeartbeatCheckSpec
        select (s, c, (HeartbeatCheckSpec)c.Spec);

    private static (Service Service, Check Check, HeartbeatCheckSpec Spec)? Find(WorkspaceModel workspace, StoredHeartbeat row) =>
        workspace.FindService(row.ServiceId)?.Checks.FirstOrDefault(c => c.Id == row.CheckId) is { Spec: HeartbeatCheckSpec spec } check
            ? (workspace.FindService(row.ServiceId)!, check, spec)
            : null;
}

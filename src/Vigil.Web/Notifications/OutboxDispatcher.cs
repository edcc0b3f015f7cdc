using System.Text.Json;
using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Prometheus;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Incidents;

namespace Vigil.Web.Notifications;

/// <summary>Wakes the workers that page: the escalation engine and the outbox dispatcher. Called after a commit that
/// queued notifications or started escalations.</summary>
public sealed class Paging(OutboxDispatcher outbox, Escalation.EscalationEngine escalations)
{
    public void Wake()
    {
        escalations.Wake();
        outbox.Wake();
    }

    /// <summary>
    /// After a commit: the unit of work's new outbox rows go straight to the dispatcher (sent without a look through
    /// the table, and already claimed), and the escalation engine is woken only when an escalation was started. In a
    /// storm this spares both workers a pass per commit. <paramref name="work"/> comes from <see cref="Collect"/>.
    /// </summary>
    public void Committed(Handoff work)
    {
        if (work.Rows.Count > 0) outbox.Offer(work);
        if (work.Escalated) escalations.Wake();
    }

    /// <summary>
    /// Before a unit of work saves: the outbox rows it adds are to be inserted already claimed for this instance's
    /// dispatcher (<see cref="VigilDbContext.ClaimAddedOutboxRows"/>), so they commit claimed and the dispatcher sends
    /// them without a write of its own. (A claim of its own was a write transaction waiting for the database's lock,
    /// which a burst of new incidents held, one writer batch after another, for over a second: the notifications waited
    /// behind it.) <see cref="Collect"/> then says what to hand on.
    /// </summary>
    public void ClaimOnSave(VigilDbContext db)
    {
        var claim = outbox.NewClaim();
        db.ClaimAddedOutboxRows = (claim.Name, claim.Until);
    }

    /// <summary>
    /// What a unit of work will hand on once committed: the outbox rows it saved under its claim
    /// (<see cref="ClaimOnSave"/>) and whether it started an escalation. Called after its saves, before its commit.
    /// </summary>
    public static Handoff Collect(VigilDbContext db)
    {
        List<OutboxMessage>? rows = null;
        var escalated = false;
        var claim = db.ClaimAddedOutboxRows;
        // Everything is saved: no look for changes first.
        db.WithoutChangeDetection(() =>
        {
            foreach (var entry in db.ChangeTracker.Entries())
            {
                if (entry.State != EntityState.Unchanged) continue;
                if (entry.Entity is OutboxMessage row && claim is { } c && row.ClaimedBy == c.By) (rows ??= []).Add(row);
                else if (entry.Entity is Storage.Escalation) escalated = true;
            }
        });
        if (rows is null) return escalated ? new Handoff([], true, null) : Handoff.None;
        return new Handoff(rows, escalated, new OutboxClaim(claim!.Value.By, claim.Value.Until));
    }
}

/// <summary>A claim on outbox rows: its unique name (<c>claimed_by</c>) and when it lapses (<c>claimed_until</c>).</summary>
public sealed record OutboxClaim(string Name, DateTimeOffset Until);

/// <summary>New outbox rows (claimed for this instance's dispatcher) and started escalations of a unit of work, handed on
/// after its commit (<see cref="Paging.Committed"/>).</summary>
public sealed record Handoff(IReadOnlyList<OutboxMessage> Rows, bool Escalated, OutboxClaim? Claim)
{
    public static readonly Handoff None = new([], false, null);
}

/// <summary>How a channel has been doing, as seen by this instance since it started.</summary>
public sealed record ChannelHealth(int ConsecutiveFailures, DateTimeOffset? LastSentAt, DateTimeOffset? LastErrorAt, string? LastError);

/// <summary>
/// Delivers the outbox: claims due rows atomically (so two instances never send the same row at once), sends each
/// through its channel, and records the outcome on the row and on the incident's timeline. A failure is retried with
/// exponential back-off and jitter, up to <see cref="MaxAttempts"/> attempts or <see cref="MaxAge"/>, then the row is
/// <c>dead</c>. It is woken in-process the moment a change that queued notifications commits (<see cref="DueWorker.Wake"/>), so
/// it never waits for a timer on the way out; the timer only brings back retries.
/// </summary>
/// <remarks>
/// A row is <c>sending</c> while claimed. If the process dies mid-send, the claim lapses after
/// <see cref="ClaimFor"/> and the row is sent again with the same event key (sent as <c>X-Vigil-Event</c>), which a
/// receiver can use to drop the repeat; nothing else ever sends a row twice.
/// </remarks>
public sealed class OutboxDispatcher(
    IDbContextFactory<VigilDbContext> dbFactory,
    WorkspaceState workspace,
    IncidentStore store,
    ChannelSenders senders,
    ActionLinks links,
    StorageProvider storage,
    TimeProvider time,
    ILogger<OutboxDispatcher> log) : DueWorker(time, log, "Delivering notifications")
{
    public const int MaxAttempts = 10;
    public static readonly TimeSpan MaxAge = TimeSpan.FromHours(24);
    public static readonly TimeSpan ClaimFor = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan LongestRetry = TimeSpan.FromMinutes(15);
    private const int BatchSize = 50;

    private static readonly Counter Deliveries = Prometheus.Metrics.CreateCounter(
        "vigil_notifications_total", "Notification delivery attempts, by channel and outcome (sent, failed: will retry, dead: gave up).", "channel", "outcome");

    private static readonly Gauge Failing = Prometheus.Metrics.CreateGauge(
        "vigil_channel_failing", "1 while a channel's latest deliveries (3 or more in a row) have failed.", "channel");

    private readonly ConcurrentDictionary<string, ChannelHealth> health = new();
    private readonly SemaphoreSlim sending = new(MaxSending, MaxSending);
    private readonly System.Threading.Channels.Channel<Delivery> outcomes = System.Threading.Channels.Channel.CreateUnbounded<Delivery>(new() { SingleReader = true });
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentQueue<(OutboxMessage Row, OutboxClaim Claim)> offered = new();

    /// <summary>The latest send in flight for each (channel, incident), which the next one for the same pair waits for.</summary>
    private readonly ConcurrentDictionary<string, Task> inOrder = new(StringComparer.Ordinal);
    private Task? recorder;
    private int scanWanted = 1;
    private bool releasedDead;
    private long claims;
    private DateTimeOffset nextScan = DateTimeOffset.MinValue;

    /// <summary>How long sent and dead rows are kept (their outcomes stay on the timelines).</summary>
    public static readonly TimeSpan KeepFinished = TimeSpan.FromDays(30);
    private static readonly TimeSpan PruneEvery = TimeSpan.FromHours(1);
    private DateTimeOffset lastPrune = DateTimeOffset.MinValue;

    /// <summary>Deliveries in flight at once.</summary>
    public const int MaxSending = 32;

    /// <summary>Deliveries finished (sent, failed or dead) since start; for tests and benchmarks.</summary>
    public long Finished => Interlocked.Read(ref finished);

    private long finished;

    /// <summary>Health by channel id, for <c>GET /api/v1/channels</c>.</summary>
    public IReadOnlyDictionary<string, ChannelHealth> Health => health;

    /// <summary>Something was committed that may be due now: look at the table at once.</summary>
    public override void Wake()
    {
        Interlocked.Exchange(ref scanWanted, 1);
        base.Wake();
    }

    /// <summary>
    /// Rows a writer has just committed under a claim of this dispatcher's (see <see cref="Paging.ClaimOnSave"/>): they
    /// are sent at once, without a look through the table for what is due or a write to claim them. The database stays
    /// the record: a row offered here that is never sent (the process stopped first) is sent by the next look once its
    /// claim lapses, here or on another instance.
    /// </summary>
    public void Offer(Handoff work)
    {
        if (work.Claim is not { } claim) throw new ArgumentException("Offered outbox rows must come claimed (Paging.ClaimOnSave).", nameof(work));
        foreach (var row in work.Rows) offered.Enqueue((row, claim));
        base.Wake();
    }

    /// <summary>A new claim of this dispatcher's, lapsing <see cref="ClaimFor"/> from now.</summary>
    public OutboxClaim NewClaim() => new($"{Instance}:{Interlocked.Increment(ref claims)}", Time.GetUtcNow() + ClaimFor);

    /// <summary>Delivers what was offered and what is due; returns how long until the next row is due (zero: more now).</summary>
    public override async Task<TimeSpan> RunOnceAsync(CancellationToken ct)
    {
        var now = Time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!releasedDead)
        {
            // Once, even if it fails: claims lapse by time anyway, and a failure here must not hold up every send.
            releasedDead = true;
            await ReleaseClaimsOfDeadProcessesAsync(db, now, ct);
        }
        if (now - lastPrune >= PruneEvery)
        {
            // Delivered and given-up rows are history once their outcome is on the incident's timeline.
            var before = now - KeepFinished;
            await db.Outbox.Where(o => (o.State == Outbox.Sent || o.State == Outbox.Dead) && o.CreatedAt < before).ExecuteDeleteAsync(ct);
            lastPrune = now;
        }
        var offers = new List<(OutboxMessage Row, OutboxClaim Claim)>();
        while (offers.Count < BatchSize && offered.TryDequeue(out var offer)) offers.Add(offer);
        foreach (var group in offers.GroupBy(o => o.Claim))
        {
            var claim = group.Key;
            var rows = group.Select(o => o.Row).ToList();
            // Held for a while (a long queue of sends): claimed afresh, if the claim is still this one's, so it cannot
            // lapse mid-send and let a look elsewhere send the row too.
            if (claim.Until - now > ClaimFor / 2) await DispatchAsync(rows, claim.Name, ct);
            else await SendAsync(db, rows, o => o.ClaimedBy == claim.Name, now, ct);
        }
        if (Interlocked.Exchange(ref scanWanted, 0) == 1 || now >= nextScan)
        {
            var claimable = Claimable(now);
            var due = await db.Outbox.AsNoTracking().Where(claimable).Where(o => o.NextAttemptAt <= now)
                .OrderBy(o => o.NextAttemptAt).ThenBy(o => o.Id)
                .Take(BatchSize).ToListAsync(ct);
            if (due.Count > 0) await SendAsync(db, due, claimable, now, ct);
            if (due.Count == BatchSize)
            {
                scanWanted = 1;
                return TimeSpan.Zero;
            }
            var next = await db.Outbox.AsNoTracking()
                .Where(o => o.State == Outbox.Pending || o.State == Outbox.Failed || o.State == Outbox.Sending)
                .Select(o => (DateTimeOffset?)(o.ClaimedUntil != null && o.ClaimedUntil > o.NextAttemptAt ? o.ClaimedUntil : o.NextAttemptAt))
                .OrderBy(t => t).FirstOrDefaultAsync(ct);
            nextScan = next ?? now + IdleCheck;
        }
        return offered.IsEmpty ? Until(nextScan) : TimeSpan.Zero;
    }

    /// <summary>
    /// On a SQLite database (one machine), at start: the claims of an earlier Vigil process on this machine that is no
    /// longer running are let go at once, so the notifications it had committed and not yet sent (a crash, <c>kill -9</c>)
    /// go out now rather than when the claims lapse. A claim's name starts with its holder's machine and process id;
    /// a process id that is running (even reused by another program) keeps its claims until they lapse. On PostgreSQL,
    /// where other instances may be running elsewhere, claims always lapse by time.
    /// </summary>
    internal async Task<int> ReleaseClaimsOfDeadProcessesAsync(VigilDbContext db, DateTimeOffset now, CancellationToken ct)
    {
        if (!db.Database.IsSqlite()) return 0;
        var holders = await db.Outbox.AsNoTracking().Where(o => o.State == Outbox.Sending && o.ClaimedBy != null && o.ClaimedUntil > now)
            .Select(o => o.ClaimedBy!).Distinct().ToListAsync(ct);
        var dead = holders.Where(h => DeadHereAndNow(h)).ToList();
        if (dead.Count == 0) return 0;
        var released = await db.Outbox.Where(o => o.State == Outbox.Sending && dead.Contains(o.ClaimedBy!))
            .ExecuteUpdateAsync(u => u.SetProperty(o => o.ClaimedUntil, now), ct);
        if (released > 0) log.LogWarning("{Count} notifications claimed by a Vigil process that is no longer running are sent now", released);
        return released;
    }

    /// <summary>Whether a claim's holder (<c>machine:pid:…</c>) was a process on this machine that is not running.</summary>
    private static bool DeadHereAndNow(string holder)
    {
        var parts = holder.Split(':');
        if (parts.Length < 3 || parts[0] != Environment.MachineName || !int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid)) return false;
        if (pid == Environment.ProcessId) return false;
        System.Diagnostics.Process process;
        try
        {
            process = System.Diagnostics.Process.GetProcessById(pid);
        }
        catch (ArgumentException)
        {
            return true; // no process has this id
        }
        using (process)
        {
            try
            {
                return process.HasExited;
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                return false; // cannot tell: its claims lapse by time
            }
        }
    }

    /// <summary>Rows still to deliver that nobody holds a live claim on.</summary>
    private static System.Linq.Expressions.Expression<Func<OutboxMessage, bool>> Claimable(DateTimeOffset now) =>
        o => (o.State == Outbox.Pending || o.State == Outbox.Failed || o.State == Outbox.Sending) && (o.ClaimedUntil == null || o.ClaimedUntil < now);

    /// <summary>
    /// Claims <paramref name="rows"/> (those still matching <paramref name="claimable"/>) in one statement under a claim
    /// name of their own, and sends the claimed ones side by side (a slow receiver holds one slot, not the queue), except
    /// that a channel's notifications about one incident go out one after another, in the order they were queued;
    /// outcomes are recorded in batches. When another worker took some in between, the rows this claim holds are read back.
    /// </summary>
    private async Task SendAsync(VigilDbContext db, List<OutboxMessage> rows, System.Linq.Expressions.Expression<Func<OutboxMessage, bool>> claimable,
        DateTimeOffset now, CancellationToken ct)
    {
        var (claim, until) = NewClaim();
        var ids = rows.Select(o => o.Id).ToList();
        var taken = await db.Outbox.Where(o => ids.Contains(o.Id)).Where(claimable)
            .ExecuteUpdateAsync(u => u.SetProperty(o => o.State, Outbox.Sending).SetProperty(o => o.ClaimedBy, claim).SetProperty(o => o.ClaimedUntil, until), ct);
        if (taken == 0) return;
        var claimed = taken == rows.Count ? rows : await db.Outbox.AsNoTracking().Where(o => ids.Contains(o.Id) && o.ClaimedBy == claim).OrderBy(o => o.Id).ToListAsync(ct);
        await DispatchAsync(claimed, claim, ct);
    }

    /// <summary>Starts the sends of rows held under <paramref name="claim"/>, up to <see cref="MaxSending"/> at once (waiting
    /// for a free slot), a channel's notifications about one incident one after another in the order they were queued.</summary>
    private async Task DispatchAsync(IReadOnlyList<OutboxMessage> claimed, string claim, CancellationToken ct)
    {
        foreach (var row in claimed)
        {
            await sending.WaitAsync(ct);
            // A channel hears of one incident in the order things happened: a send waits for the one queued before it.
            var key = Outbox.IncidentOf(row.EventKey) is { } incident ? $"{row.ChannelId}\n{incident}" : null;
            var before = key is not null && inOrder.TryGetValue(key, out var previous) ? previous : Task.CompletedTask;
            var send = Task.Run(async () =>
            {
                try
                {
                    await before.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    outcomes.Writer.TryWrite(await SendAsync(row, claim, ct));
                }
                finally
                {
                    sending.Release();
                }
            }, CancellationToken.None);
            if (key is null) continue;
            inOrder[key] = send;
            _ = send.ContinueWith(done => inOrder.TryRemove(new KeyValuePair<string, Task>(key, done)), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    public override void Dispose()
    {
        sending.Dispose();
        stopping.Dispose();
        base.Dispose();
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // On a thread of its own: recording waits for the database's write lock, which in a burst the writers hold in turn.
        recorder = Hosting.WorkerThread.Run("Vigil notification outcomes", () => RecordOutcomesAsync(stopping.Token));
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        outcomes.Writer.TryComplete();
        if (recorder is not null) await recorder.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await stopping.CancelAsync();
    }

    /// <summary>A send's outcome, waiting to be recorded.</summary>
    private sealed record Delivery(OutboxMessage Row, string Claim, Channel? Channel, string Outcome, string? Error, int Attempts, DateTimeOffset At, DateTimeOffset RetryAt);

    private async Task<Delivery> SendAsync(OutboxMessage row, string claim, CancellationToken ct)
    {
        var w = workspace.Current;
        var (channel, missing) = Outbox.Resolve(w, row.ChannelId);
        string outcome;
        string? error = null;
        try
        {
            if (channel is null) throw new DeliveryException(missing!, permanent: true);
            var message = JsonSerializer.Deserialize<NotificationMessage>(row.Payload, Hosting.Json.Options)
                ?? throw new DeliveryException("the queued message is empty", permanent: true);
            // The one-click links are made now, so they expire a day after they are sent, not after they were queued.
            if (message.Incident is { } incident) message = message with { Links = await links.ForAsync(incident.Id, message.Event, row.ChannelId, ct) };
            await senders.SendAsync(w, channel, message, ct);
            outcome = Outbox.Sent;
        }
        catch (DeliveryException e)
        {
            error = workspace.Redact(e.Message);
            outcome = e.Permanent ? Outbox.Dead : Outbox.Failed;
        }
        catch (Exception e)
        {
            error = workspace.Redact($"{e.GetType().Name}: {e.Message}");
            outcome = Outbox.Failed;
        }
        var now = Time.GetUtcNow();
        var attempts = row.Attempts + 1;
        if (outcome == Outbox.Failed && (attempts >= MaxAttempts || now - row.CreatedAt >= MaxAge)) outcome = Outbox.Dead;
        return new Delivery(row, claim, channel, outcome, error, attempts, now, now + Backoff(attempts));
    }

    /// <summary>Records outcomes as they come, all those waiting in one transaction: the rows, guarded by the claim, and
    /// one timeline entry each.</summary>
    private async Task RecordOutcomesAsync(CancellationToken ct)
    {
        var batch = new List<Delivery>();
        while (await outcomes.Reader.WaitToReadAsync(ct))
        {
            batch.Clear();
            while (batch.Count < BatchSize && outcomes.Reader.TryRead(out var d)) batch.Add(d);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await RecordAsync(batch, ct);
                    break;
                }
                catch (Exception e) when (!ct.IsCancellationRequested && attempt < 5)
                {
                    log.LogWarning(e, "Recording {Count} notification outcomes failed; retrying", batch.Count);
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), Time, ct);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    // The rows stay claimed; when the claim lapses they are sent again (same X-Vigil-Event key).
                    log.LogError(e, "Could not record {Count} notification outcomes; they will be sent again", batch.Count);
                    break;
                }
            }
        }
    }

    private async Task RecordAsync(List<Delivery> batch, CancellationToken ct)
    {
        // Two statements reused for the batch's rows, not EF: measured in a burst of new incidents, recording outcomes
        // through ExecuteUpdate and tracked timeline entries took a tenth of Vigil's CPU.
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // From the configuration, not the context: asking a new context resolved its services, a fifth of this loop's time in a burst.
        var sqlite = storage.Kind == StorageKind.Sqlite;
        await db.Database.OpenConnectionAsync(ct);
        var connection = db.Database.GetDbConnection();
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using var update = Checks.Sql.Command(connection, tx, """
            UPDATE outbox SET state = @state, attempts = @attempts, last_error = @error, sent_at = @sent, next_attempt_at = @next,
              claimed_by = NULL, claimed_until = NULL
            WHERE id = @id AND claimed_by = @claim
            """, "@state", "@attempts", "@error", "@sent", "@next", "@id", "@claim");
        await using var insert = Checks.Sql.Command(connection, tx,
            "INSERT INTO incident_timeline (incident_id, at, kind, actor, text, data) VALUES (@incident, @at, @kind, @actor, @text, @data)",
            "@incident", "@at", "@kind", "@actor", "@text", "@data");
        var recorded = new List<Delivery>();
        foreach (var d in batch)
        {
            var (row, outcome, error, attempts) = (d.Row, d.Outcome, d.Error, d.Attempts);
            Checks.Sql.Set(update, "@state", outcome);
            Checks.Sql.Set(update, "@attempts", attempts);
            Checks.Sql.Set(update, "@error", error);
            Checks.Sql.Set(update, "@sent", Checks.Sql.Time(sqlite, outcome == Outbox.Sent ? d.At : (DateTimeOffset?)null));
            Checks.Sql.Set(update, "@next", Checks.Sql.Time(sqlite, outcome == Outbox.Failed ? d.RetryAt : row.NextAttemptAt));
            Checks.Sql.Set(update, "@id", row.Id);
            Checks.Sql.Set(update, "@claim", d.Claim);
            // No row changed: the claim lapsed and another worker took the row; its outcome is the one recorded.
            if (await update.ExecuteNonQueryAsync(ct) == 0) continue;
            recorded.Add(d);
            if (Outbox.IncidentOf(row.EventKey) is not { } incidentId) continue;
            var target = d.Channel is null ? row.ChannelId : $"{d.Channel.Id} ({d.Channel.Type.ToString().ToLowerInvariant()})";
            var entry = store.Entry("notification", "vigil", outcome switch
            {
                Outbox.Sent => $"Notified {target}: {row.Kind}" + (attempts > 1 ? $" (attempt {attempts})" : ""),
                Outbox.Failed => $"Notifying {target} failed (attempt {attempts}): {error}; retrying at {d.RetryAt:u}",
                _ => $"Gave up notifying {target} after {attempts} attempt{(attempts == 1 ? "" : "s")}: {error}",
            }, JsonSerializer.Serialize(new { channel = row.ChannelId, kind = row.Kind, outcome, attempts, key = row.EventKey }, Hosting.Json.Options));
            Checks.Sql.Set(insert, "@incident", incidentId);
            Checks.Sql.Set(insert, "@at", Checks.Sql.Time(sqlite, entry.At));
            Checks.Sql.Set(insert, "@kind", entry.Kind);
            Checks.Sql.Set(insert, "@actor", entry.Actor);
            Checks.Sql.Set(insert, "@text", entry.Text);
            Checks.Sql.Set(insert, "@data", entry.Data);
            await insert.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        foreach (var d in recorded)
        {
            Record(d.Row.ChannelId, d.Outcome, d.At, d.Error);
            if (d.Outcome != Outbox.Sent)
                log.LogWarning("Notifying channel {Channel} of {Kind} failed ({Outcome}, attempt {Attempts}): {Error}", d.Row.ChannelId, d.Row.Kind, d.Outcome, d.Attempts, d.Error);
        }
        Interlocked.Add(ref finished, recorded.Count);
        // A retry may now be due earlier than the dispatcher's timer says.
        if (recorded.Any(d => d.Outcome == Outbox.Failed)) Wake();
    }

    private void Record(string channel, string outcome, DateTimeOffset at, string? error)
    {
        Deliveries.WithLabels(channel, outcome).Inc();
        var h = health.AddOrUpdate(channel,
            _ => outcome == Outbox.Sent ? new ChannelHealth(0, at, null, null) : new ChannelHealth(1, null, at, error),
            (_, old) => outcome == Outbox.Sent ? old with { ConsecutiveFailures = 0, LastSentAt = at } : old with { ConsecutiveFailures = old.ConsecutiveFailures + 1, LastErrorAt = at, LastError = error });
        Failing.WithLabels(channel).Set(IsFailing(h) ? 1 : 0);
    }

    /// <summary>Three failed deliveries in a row make a channel failing; one success clears it.</summary>
    public static bool IsFailing(ChannelHealth h) => h.ConsecutiveFailures >= 3;

    /// <summary>5 s, 10 s, 20 s … up to 15 min, each ±20% so retries of many rows do not arrive together.</summary>
    public static TimeSpan Backoff(int attempts)
    {
        var ticks = Math.Min(FirstRetry.Ticks * Math.Pow(2, Math.Max(0, attempts - 1)), LongestRetry.Ticks);
        return TimeSpan.FromTicks((long)(ticks * (0.8 + (Random.Shared.NextDouble() * 0.4))));
    }
}

using System.Data.Common;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Vigil.Storage;
using Vigil.Web.Checks;
using Vigil.Web.Incidents;

namespace Vigil.Web.Alerts;

/// <summary>An accepted inbound event waiting to be stored: its raw body and the alert signals read from it.</summary>
public sealed class InboundItem(Core.Workspace.Integration integration, string format, string payload, string? dedupKey, IReadOnlyList<AlertSignal> signals)
{
    public Core.Workspace.Integration Integration { get; } = integration;
    public string Format { get; } = format;
    public string Payload { get; } = payload;
    public string? DedupKey { get; } = dedupKey;
    public IReadOnlyList<AlertSignal> Signals { get; } = signals;

    /// <summary>Completes once the event is committed (the sender may then get its 2xx), or fails.</summary>
    /// <remarks>Its continuation (answering the sender) runs where it is completed: the writer completes a whole batch
    /// from one thread-pool work item (<see cref="Hosting.WorkerThread.Release"/>), never on its own loop.</remarks>
    public TaskCompletionSource Stored { get; } = new();
}

/// <summary>
/// The inbound events' batching writer: requests queue their event on a bounded channel and wait; one loop takes what
/// has queued up and, in one transaction, stores every raw event (<c>inbound_events</c>) and applies its signals to
/// alerts and incidents. Senders get their <c>2xx</c> only after that commit, so an accepted event survives a crash.
/// </summary>
/// <remarks>
/// <para>The hot path is hand-written SQL on one connection kept for the writer's life, with its statements prepared
/// once: each batch reads its alerts and open incidents with one query each (<see cref="IncidentStore.PlanAsync"/>),
/// inserts the raw events and refreshes the alerts that fire again (the bulk of any alert storm: resends and retries)
/// one prepared statement per row on SQLite and one statement over arrays on PostgreSQL. Only signals that open, join,
/// resolve or acknowledge an incident go through EF, in the same transaction.</para>
/// <para>A batch that fails is retried event by event, each in its own transaction, so one event the database
/// refuses fails alone (its sender gets a 5xx and retries) instead of taking the batch with it.</para>
/// </remarks>
public sealed class InboundWriter(IDbContextFactory<VigilDbContext> dbFactory, IncidentStore incidents, Notifications.Paging notifications, TimeProvider time, ILogger<InboundWriter> log) : BackgroundService
{
    public const int BatchSize = 500;

    private readonly Channel<InboundItem> channel = Channel.CreateBounded<InboundItem>(new BoundedChannelOptions(20_000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private Session? session;
    private long stored;

    /// <summary>Events committed since start.</summary>
    public long Stored => Interlocked.Read(ref stored);

    /// <summary>Queues an event and waits until it is committed.</summary>
    public async Task StoreAsync(InboundItem item, CancellationToken ct)
    {
        await channel.Writer.WriteAsync(item, ct);
        await item.Stored.Task;
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await ResetSessionAsync();
    }

    /// <summary>The loop runs on a thread of its own (<see cref="Hosting.WorkerThread"/>): a batch is a long stretch of
    /// synchronous database work, which on the thread pool held up the answers and sends queued behind it.</summary>
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Hosting.WorkerThread.Run("Vigil inbound writer", () => LoopAsync(stoppingToken));

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        var batch = new List<InboundItem>(BatchSize);
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
            while (batch.Count < BatchSize && channel.Reader.TryRead(out var item)) batch.Add(item);
            try
            {
                await WriteAsync(batch, stoppingToken);
                Interlocked.Add(ref stored, batch.Count);
                Release(batch);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                await ResetSessionAsync();
                log.LogWarning(e, "Storing {Count} inbound events together failed; storing them one by one", batch.Count);
                foreach (var item in batch)
                {
                    try
                    {
                        await WriteAsync([item], stoppingToken);
                        Interlocked.Increment(ref stored);
                        Release([item]);
                    }
                    catch (Exception one) when (!stoppingToken.IsCancellationRequested)
                    {
                        await ResetSessionAsync();
                        log.LogError(one, "Could not store a {Format} event from integration {Integration}; its sender gets a 503 and may retry", item.Format, item.Integration.Id);
                        Hosting.WorkerThread.Fail([item.Stored], one);
                    }
                }
            }
        }
        // Shutting down: nothing queued is lost silently; its senders get an error and retry elsewhere or later, and a
        // request that comes after this gets one at once (a 503) instead of waiting for a writer that is gone.
        channel.Writer.TryComplete();
        while (channel.Reader.TryRead(out var left)) left.Stored.TrySetCanceled(CancellationToken.None);
        foreach (var item in batch) item.Stored.TrySetCanceled(CancellationToken.None);
    }

    /// <summary>Answers a committed batch's senders (<see cref="Hosting.WorkerThread.Release"/>).</summary>
    private static void Release(List<InboundItem> batch) => Hosting.WorkerThread.Release([.. batch.Select(i => i.Stored)]);

    private async Task WriteAsync(List<InboundItem> batch, CancellationToken ct)
    {
        session ??= await Session.OpenAsync(dbFactory, ct);
        notifications.Committed(await session.WriteAsync(batch, incidents, notifications, time.GetUtcNow(), ct));
    }

    private async Task ResetSessionAsync() => session = await WriterSession.CloseAsync(session, log);

    /// <summary>The writer's connection and its prepared statements, kept across batches.</summary>
    private sealed class Session : WriterSession
    {
        private readonly DbCommand insert;
        private readonly DbCommand refresh;
        private readonly SignalLookup lookup;

        private Session(VigilDbContext db) : base(db)
        {
            lookup = new SignalLookup(Connection, Sqlite);
            insert = Sql.Command(Connection, null, Sqlite
                ? "INSERT INTO inbound_events (integration_id, received_at, format, dedup_key, payload) VALUES (@i, @at, @f, @d, @p)"
                : """
                  INSERT INTO inbound_events (integration_id, received_at, format, dedup_key, payload)
                  SELECT * FROM unnest(@i::text[], @at::timestamptz[], @f::text[], @d::text[], @p::text[])
                  """,
                "@i", "@at", "@f", "@d", "@p");
            refresh = Sql.Command(Connection, null, Sqlite
                ? "UPDATE alerts SET service_id = @s, severity = @sev, summary = @sum, labels = @l, details = @det, last_event_at = @at WHERE id = @id"
                : """
                  UPDATE alerts AS a SET service_id = u.s, severity = u.sev, summary = u.sum, labels = u.l, details = u.det, last_event_at = u.at
                  FROM unnest(@id::bigint[], @s::text[], @sev::text[], @sum::text[], @l::text[], @det::text[], @at::timestamptz[]) AS u(id, s, sev, sum, l, det, at)
                  WHERE a.id = u.id
                  """,
                "@id", "@s", "@sev", "@sum", "@l", "@det", "@at");
        }

        public static Task<Session> OpenAsync(IDbContextFactory<VigilDbContext> factory, CancellationToken ct) => OpenAsync(factory, db => new Session(db), ct);

        protected override IEnumerable<DbCommand> Statements => [insert, refresh, .. lookup.Statements];

        /// <summary>Stores a batch and applies its signals in one transaction; returns the notifications and escalations
        /// that queued, to hand on once it is committed.</summary>
        public async Task<Notifications.Handoff> WriteAsync(List<InboundItem> batch, IncidentStore incidents, Notifications.Paging paging, DateTimeOffset now, CancellationToken ct)
        {
            var queued = Notifications.Handoff.None;
            await using var tx = await Connection.BeginTransactionAsync(ct);
            insert.Transaction = tx;
            refresh.Transaction = tx;
            var signals = batch.SelectMany(i => i.Signals).ToList();
            var plan = signals.Count == 0 ? new SignalPlan() : await IncidentStore.PlanAsync(lookup, tx, signals, ct);
            if (Sqlite)
            {
                foreach (var item in batch)
                {
                    Sql.Set(insert, "@i", item.Integration.Id);
                    Sql.Set(insert, "@at", Sql.Time(Sqlite, now));
                    Sql.Set(insert, "@f", item.Format);
                    Sql.Set(insert, "@d", item.DedupKey);
                    Sql.Set(insert, "@p", item.Payload);
                    await insert.ExecuteNonQueryAsync(ct);
                }
                foreach (var (id, s) in plan.Refresh)
                {
                    var f = s.Firing!;
                    Sql.Set(refresh, "@id", id);
                    Sql.Set(refresh, "@s", s.ServiceId);
                    Sql.Set(refresh, "@sev", f.Severity);
                    Sql.Set(refresh, "@sum", IncidentStore.ClipSummary(f.Summary));
                    Sql.Set(refresh, "@l", f.Labels);
                    Sql.Set(refresh, "@det", f.Details);
                    Sql.Set(refresh, "@at", Sql.Time(Sqlite, now));
                    await refresh.ExecuteNonQueryAsync(ct);
                }
            }
            else
            {
                Sql.Set(insert, "@i", batch.Select(i => i.Integration.Id).ToArray());
                Sql.Set(insert, "@at", batch.Select(_ => now.ToUniversalTime()).ToArray());
                Sql.Set(insert, "@f", batch.Select(i => i.Format).ToArray());
                Sql.Set(insert, "@d", batch.Select(i => i.DedupKey).ToArray());
                Sql.Set(insert, "@p", batch.Select(i => i.Payload).ToArray());
                await insert.ExecuteNonQueryAsync(ct);
                if (plan.Refresh.Count > 0)
                {
                    var rows = plan.Refresh.ToList();
                    Sql.Set(refresh, "@id", rows.Select(r => r.Key).ToArray());
                    Sql.Set(refresh, "@s", rows.Select(r => r.Value.ServiceId).ToArray());
                    Sql.Set(refresh, "@sev", rows.Select(r => r.Value.Firing!.Severity).ToArray());
                    Sql.Set(refresh, "@sum", rows.Select(r => IncidentStore.ClipSummary(r.Value.Firing!.Summary)).ToArray());
                    Sql.Set(refresh, "@l", rows.Select(r => r.Value.Firing!.Labels).ToArray());
                    Sql.Set(refresh, "@det", rows.Select(r => r.Value.Firing!.Details).ToArray());
                    Sql.Set(refresh, "@at", rows.Select(_ => now.ToUniversalTime()).ToArray());
                    await refresh.ExecuteNonQueryAsync(ct);
                }
            }
            // EF joins the transaction only for the signals that need it: most batches of a storm are refreshes alone.
            if (plan.Apply.Count > 0) queued = await ApplyToIncidentsAsync(tx, incidents, paging, plan.Apply, plan, ct);
            await tx.CommitAsync(ct);
            return queued;
        }
    }
}

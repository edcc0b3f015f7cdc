using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage;
using Vigil.Storage;
using Sql = Vigil.Web.Checks.Sql;

namespace Vigil.Web.Incidents;

/// <summary>
/// Inserts the rows a writer's batch of signals adds (incidents, their timeline entries, alerts, outbox rows,
/// escalations and audit records) with statements prepared once on the writer's SQLite connection; EF saves the rest
/// (changes to rows it loaded) afterwards, as before.
/// </summary>
/// <remarks>
/// <para>Why: in a burst of new incidents, EF's <c>SaveChanges</c> was most of the check writer's time (by perf: ~40%
/// of the thread, a quarter of it executing SQL), since it builds, and SQLite parses, each batch's statements anew.
/// Here each row is one execution of a statement parsed once per connection.</para>
/// <para>Every decision stays with <see cref="IncidentStore"/> and its EF entities: this only writes what the context
/// tracks as added, in the order the foreign keys need, then tells EF they are saved (with their new ids, which EF
/// passes on to the rows that refer to them). A batch that also changes an incident it loaded (a resolve or an
/// acknowledgement) is saved by EF alone: a new incident may then take the dedup key the changed one gives up, and EF
/// orders those statements by the unique index.</para>
/// <para>SQLite only: on PostgreSQL each statement would be a round trip, where EF sends a save in one.</para>
/// </remarks>
public sealed class IncidentRows : IAsyncDisposable
{
    private readonly DbCommand incident;
    private readonly DbCommand entry;
    private readonly DbCommand alert;
    private readonly DbCommand outbox;
    private readonly DbCommand escalation;
    private readonly DbCommand audit;

    public IncidentRows(DbConnection connection)
    {
        if (connection is not Microsoft.Data.Sqlite.SqliteConnection) throw new ArgumentException("Prepared incident inserts are for SQLite (timestamps as Unix milliseconds).", nameof(connection));
        incident = Insert(connection, "incidents", "title", "summary", "service_id", "severity", "status", "dedup_key", "assignee", "opened_at", "acknowledged_at",
            "ack_due_at", "response_missed_at", "resolved_at", "runbook_path", "runbook_section", "suppressed", "version");
        entry = Insert(connection, "incident_timeline", "incident_id", "at", "kind", "actor", "text", "data");
        alert = Insert(connection, "alerts", "source", "integration_id", "fingerprint", "dedup_key", "service_id", "severity", "status", "summary", "details",
            "labels", "started_at", "ended_at", "last_event_at", "incident_id");
        outbox = Insert(connection, "outbox", "event_key", "channel_id", "target", "kind", "payload", "state", "attempts", "next_attempt_at", "last_error",
            "created_at", "sent_at", "claimed_by", "claimed_until");
        escalation = Insert(connection, "escalations", "incident_id", "policy_id", "step_index", "repeat_count", "state", "due_at", "claimed_by", "claimed_until");
        audit = Insert(connection, "audit_events", "at", "actor", "action", "target", "remote_address", "outcome", "detail");
    }

    private IEnumerable<DbCommand> Statements => [incident, entry, alert, outbox, escalation, audit];

    public async ValueTask DisposeAsync()
    {
        foreach (var statement in Statements) await statement.DisposeAsync();
    }

    /// <summary>
    /// Saves what <paramref name="db"/> tracks, in its current transaction: the added rows here, then EF's own save for
    /// the rest. The caller has looked for changes already and turned automatic detection off (<see cref="IncidentStore"/>
    /// does both): each look at the tracker, and each state change below, would otherwise compare every tracked entity again.
    /// </summary>
    public async Task SaveAsync(VigilDbContext db, CancellationToken ct)
    {
        var tx = db.Database.CurrentTransaction?.GetDbTransaction();
        if (Added(db) is { Count: > 0 } added)
        {
            foreach (var s in Statements) s.Transaction = tx;
            // Referenced rows first: each insert's id reaches the rows that refer to it before they are written.
            await InsertAsync<Incident>(added, incident, (c, i) =>
            {
                Set(c, i.Title, i.Summary, i.ServiceId, i.Severity, i.Status, i.DedupKey, i.Assignee, Time(i.OpenedAt), Time(i.AcknowledgedAt),
                    Time(i.AckDueAt), Time(i.ResponseMissedAt), Time(i.ResolvedAt), i.RunbookPath, i.RunbookSection, i.Suppressed, i.Version);
            }, ct);
            await InsertAsync<IncidentTimelineEntry>(added, entry, (c, t) => Set(c, Referenced(t.IncidentId), Time(t.At), t.Kind, t.Actor, t.Text, t.Data), ct);
            await InsertAsync<Alert>(added, alert, (c, a) =>
            {
                Set(c, a.Source, a.IntegrationId, a.Fingerprint, a.DedupKey, a.ServiceId, a.Severity, a.Status, a.Summary, a.Details, a.Labels,
                    Time(a.StartedAt), Time(a.EndedAt), Time(a.LastEventAt), a.IncidentId is { } id ? Referenced(id) : null);
            }, ct);
            await InsertAsync<OutboxMessage>(added, outbox, (c, o) =>
            {
                db.ClaimIfSet(o);
                Set(c, o.EventKey, o.ChannelId, o.Target, o.Kind, o.Payload, o.State, o.Attempts, Time(o.NextAttemptAt), o.LastError, Time(o.CreatedAt),
                    Time(o.SentAt), o.ClaimedBy, Time(o.ClaimedUntil));
            }, ct);
            await InsertAsync<Storage.Escalation>(added, escalation, (c, e) =>
            {
                Set(c, Referenced(e.IncidentId), e.PolicyId, e.StepIndex, e.RepeatCount, e.State, Time(e.DueAt), e.ClaimedBy, Time(e.ClaimedUntil));
            }, ct);
            await InsertAsync<AuditEvent>(added, audit, (c, a) => Set(c, Time(a.At), a.Actor, a.Action, a.Target, a.RemoteAddress, a.Outcome, a.Detail), ct);
        }
        // A burst of new incidents leaves EF nothing to save, and a save would still look through every tracked entity.
        // It needn't look for changes either: the inserts above went through the tracker.
        if (Pending(db)) await db.SaveChangesAsync(ct);
    }

    /// <summary>Whether the context tracks anything not saved (changes already detected).</summary>
    private static bool Pending(VigilDbContext db)
    {
        foreach (var e in db.ChangeTracker.Entries())
        {
            if (e.State != EntityState.Unchanged) return true;
        }
        return false;
    }

    /// <summary>The entries EF would insert; null when the batch changed an incident it loaded (EF then saves it all).</summary>
    private static List<EntityEntry>? Added(VigilDbContext db)
    {
        var rows = new List<EntityEntry>();
        foreach (var e in db.ChangeTracker.Entries())
        {
            if (e.Entity is Incident && e.State is EntityState.Modified or EntityState.Deleted) return null;
            if (e.State == EntityState.Added) rows.Add(e);
        }
        return rows;
    }

    /// <summary>Inserts the added entities of one type and marks each saved with its new id.</summary>
    private static async Task InsertAsync<T>(List<EntityEntry> added, DbCommand command, Action<DbCommand, T> bind, CancellationToken ct) where T : class
    {
        // In the order they were added (timelines and the audit log are read by id): that is the order of EF's temporary
        // ids, not of the tracker's enumeration, which reuses the places of rows saved earlier in the unit of work.
        foreach (var e in added.Where(e => e.Entity is T).OrderBy(e => (long)e.Property("Id").CurrentValue!))
        {
            var row = (T)e.Entity;
            bind(command, row);
            var id = (long)(await command.ExecuteScalarAsync(ct))!;
            // Through EF, so the id reaches the tracked rows that refer to this one (their foreign keys) before they are inserted.
            e.Property("Id").CurrentValue = id;
            e.State = EntityState.Unchanged;
        }
    }

    /// <summary>A foreign key that must by now hold a saved row's id, not EF's temporary value for one not yet saved.</summary>
    private static long Referenced(long id) => id > 0 ? id : throw new InvalidOperationException("A row refers to one that was not saved first.");

    private static object? Time(DateTimeOffset? value) => Sql.Time(true, value);

    private static void Set(DbCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i] ?? DBNull.Value;
    }

    private static DbCommand Insert(DbConnection connection, string table, params string[] columns)
    {
        var names = columns.Select((_, i) => $"@p{i}").ToArray();
        return Sql.Command(connection, null, $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", names)}) RETURNING id", names);
    }
}

using System.Data.Common;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Alerts;
using Vigil.Core.Incidents;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Hosting;

namespace Vigil.Web.Incidents;

/// <summary>
/// Incidents and their timelines: opened, joined and resolved by alerts (checks, PagerDuty events, Alertmanager
/// notifications), and changed by responders.
/// </summary>
/// <remarks>
/// <para>Alerts are applied by the writer that stores what raised them (a check result, an inbound event), inside the
/// same transaction, so a crash can never keep the one and lose the other, and the incident row is committed with it
/// (no second queue between them).</para>
/// <para>At most one incident per dedup key is open; the database enforces it with a partial unique index, so two
/// instances cannot both open one. A repeat of an alert that is already firing on the open incident (an Alertmanager
/// group resent, a PagerDuty trigger retried) only updates the alert's last-event time.</para>
/// </remarks>
public sealed class IncidentStore(IDbContextFactory<VigilDbContext> dbFactory, WorkspaceState workspace, TimeProvider time)
{
    public const string Resolved = "resolved";
    private const string Firing = "firing";

    public DateTimeOffset Now => time.GetUtcNow();

    public async Task<VigilDbContext> ContextAsync(CancellationToken ct) => await dbFactory.CreateDbContextAsync(ct);

    /// <summary>
    /// Applies signals, in order, in <paramref name="db"/>'s current transaction; saves, does not commit. Incidents Vigil
    /// opens, resolves or has acknowledged by a sender are recorded in the audit log too, with the source as the actor,
    /// their services' channels are notified (queued in the outbox) and paging incidents start their escalation. Returns
    /// how many notifications and escalations that queued: after committing, the caller wakes <see cref="Notifications.Paging"/>
    /// when there are some. With <paramref name="rows"/> (a writer's, on SQLite) the rows it adds are inserted by its
    /// prepared statements, the rest by EF.
    /// </summary>
    /// <remarks>
    /// A batch costs a few queries whatever its size: the alerts it names, the open incidents of its dedup keys and of
    /// those alerts, and the active silences are loaded (tracked) first; every decision is then made on those entities
    /// in memory, and everything is saved together, the audit records (which need the new incidents' ids) right after.
    /// </remarks>
    public async Task<int> ApplyAsync(VigilDbContext db, IReadOnlyList<AlertSignal> signals, SignalPlan? looked, IncidentRows? rows, CancellationToken ct)
    {
        if (signals.Count == 0) return 0;
        var batch = await Batch.LoadAsync(db, signals, time.GetUtcNow(), looked, ct);
        var w = workspace.Current;
        foreach (var s in signals)
        {
            var service = s.ServiceId is null ? null : w.FindService(s.ServiceId);
            switch (s.Kind)
            {
                case SignalKind.Fire when s.Firing is { } firing:
                    Fire(db, batch, w, service, s, firing);
                    break;
                case SignalKind.Resolve:
                    if (batch.Alerts.GetValueOrDefault((s.Source, s.IntegrationId, s.Fingerprint)) is { Status: Firing } alert)
                        await ResolveAsync(db, batch, service, alert, s.At, s.Actor, s.Text ?? $"Resolved by the sender: {alert.Summary}", ct);
                    break;
                case SignalKind.Acknowledge:
                    if (batch.Open.GetValueOrDefault(s.IncidentKey) is { Status: "triggered" } incident)
                    {
                        incident.Status = IncidentLifecycle.Name(IncidentStatus.Acknowledged);
                        incident.AcknowledgedAt = time.GetUtcNow();
                        incident.Timeline.Add(Entry("acknowledged", s.Actor, s.Text ?? "Acknowledged by the sender"));
                        batch.Audits.Add((incident, s.Actor, "incident.acknowledge", new { from = "triggered", to = incident.Status }));
                    }
                    break;
            }
        }
        await SaveAsync(db, rows, detect: true, ct);
        if (batch.Audits.Count == 0) return 0;
        var queued = QueueAndAudit(db, w, batch);
        await SaveAsync(db, rows, detect: false, ct);
        return queued;
    }

    /// <summary>Saves the unit of work, through <paramref name="rows"/> when there is one, after one look for changes
    /// (none with <paramref name="detect"/> false: only rows added since the last save, which <c>Add</c> tracks at once);
    /// automatic detection is off meanwhile, so nothing in the save looks through every tracked entity again.</summary>
    private static async Task SaveAsync(VigilDbContext db, IncidentRows? rows, bool detect, CancellationToken ct)
    {
        var detecting = db.ChangeTracker.AutoDetectChangesEnabled;
        if (detect && detecting) db.ChangeTracker.DetectChanges();
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            if (rows is null) await db.SaveChangesAsync(ct);
            else await rows.SaveAsync(db, ct);
        }
        finally
        {
            db.ChangeTracker.AutoDetectChangesEnabled = detecting;
        }
    }

    /// <summary>For each incident the batch opened, resolved or had acknowledged: its notifications, its escalation and its audit record (added, not saved).</summary>
    /// <remarks>It only adds rows, so automatic change detection is off meanwhile: with it on, each look at the outbox's
    /// tracked rows (its once-per-event check) would first compare every entity the batch tracks with its snapshot,
    /// quadratic in the batch. The changes made before were saved by the caller.</remarks>
    private int QueueAndAudit(VigilDbContext db, WorkspaceModel w, Batch batch) => db.WithoutChangeDetection(() =>
    {
        var queued = 0;
        foreach (var (incident, actor, action, detail) in batch.Audits)
        {
            // Saved above, so the incident has its id; the notifications are saved and committed with the change.
            queued += Notifications.Outbox.Enqueue(db, w, incident, action switch
            {
                "incident.open" => "triggered",
                "incident.resolve" => "resolved",
                _ => "acknowledged",
            }, time.GetUtcNow());
            if (action == "incident.open" && Escalation.Escalations.Start(db, w, incident, time.GetUtcNow())) queued++;
            db.AuditEvents.Add(new AuditEvent
            {
                At = time.GetUtcNow(),
                Actor = actor,
                Action = action,
                Target = $"incident:{incident.Id}",
                Outcome = Security.AuditLog.Ok,
                Detail = workspace.Redact(JsonSerializer.Serialize(detail, Json.Options)),
            });
        }
        return queued;
    });

    /// <summary>What a batch of signals works on: its alerts and open incidents, tracked, kept current as it goes.</summary>
    private sealed class Batch
    {
        /// <summary>The batch's alerts by (source, integration, fingerprint), new ones included once created.</summary>
        public Dictionary<(string, string, string), Alert> Alerts { get; } = [];

        /// <summary>The open incident of each dedup key the batch touches.</summary>
        public Dictionary<string, Incident> Open { get; } = [];

        public List<(long Id, IReadOnlyList<SilenceMatcher> Matchers)> Silences { get; private set; } = [];

        /// <summary>Audit records to write once the incidents have their ids.</summary>
        public List<(Incident Incident, string Actor, string Action, object Detail)> Audits { get; } = [];

        /// <remarks>With <paramref name="looked"/> (the same transaction's <see cref="PlanAsync"/>), alerts and incident
        /// keys it found absent are not asked for again: in a storm of new keys those two queries found nothing, for ~6%
        /// of the CPU.</remarks>
        public static async Task<Batch> LoadAsync(VigilDbContext db, IReadOnlyList<AlertSignal> signals, DateTimeOffset now, SignalPlan? looked, CancellationToken ct)
        {
            var batch = new Batch();
            foreach (var group in signals.GroupBy(s => (s.Source, s.IntegrationId)))
            {
                var (source, integration) = group.Key;
                var fingerprints = group.Select(s => s.Fingerprint).Where(f => looked is null || looked.StoredAlerts.Contains((source, integration, f))).Distinct().ToList();
                if (fingerprints.Count == 0) continue;
                foreach (var a in await db.Alerts.Where(a => a.Source == source && a.IntegrationId == integration && fingerprints.Contains(a.Fingerprint)).ToListAsync(ct))
                    batch.Alerts[(source, integration, a.Fingerprint)] = a;
            }
            var keys = signals.Select(s => s.IncidentKey).Where(k => looked is null || looked.OpenKeys.Contains(k))
                .Concat(batch.Alerts.Values.Select(a => a.DedupKey)).Distinct().ToList();
            var ids = batch.Alerts.Values.Where(a => a.IncidentId is not null).Select(a => a.IncidentId!.Value).Distinct().ToList();
            // Loading them tracked also links each alert to its open incident (alert.Incident).
            if (keys.Count > 0 || ids.Count > 0)
            {
                foreach (var i in await db.Incidents.Where(i => i.Status != Resolved && ((i.DedupKey != null && keys.Contains(i.DedupKey)) || ids.Contains(i.Id))).ToListAsync(ct))
                    if (i.DedupKey is not null) batch.Open[i.DedupKey] = i;
            }
            if (signals.Any(s => s.Kind == SignalKind.Fire)) batch.Silences = await Web.Alerts.Silences.ActiveAsync(db, now, ct);
            return batch;
        }
    }

    /// <summary>
    /// Sorts a batch of signals by what they need, reading the batch's alerts and open incidents with one query each
    /// instead of several per signal: a repeat of an alert already firing on its open incident only refreshes the alert
    /// row (<see cref="SignalPlan.Refresh"/>, the common case: Alertmanager resends its groups, senders retry); a resolve
    /// of an alert that is not firing, or an acknowledge of an incident that is not triggered, changes nothing; anything
    /// else (<see cref="SignalPlan.Apply"/>) goes through <see cref="ApplyAsync"/>. Once a signal of an alert or incident
    /// needs applying, every later signal of the batch touching it is applied too, in order, after the refreshes.
    /// </summary>
    public static async Task<SignalPlan> PlanAsync(SignalLookup lookup, DbTransaction tx, IReadOnlyList<AlertSignal> signals, CancellationToken ct)
    {
        var alerts = new Dictionary<(string, string, string), StoredAlert>();
        foreach (var group in signals.GroupBy(s => (s.Source, s.IntegrationId)))
        {
            var (source, integration) = group.Key;
            var query = lookup.Alerts(tx, source, integration, group.Select(s => s.Fingerprint));
            await using var reader = await query.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var row = new StoredAlert(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetInt64(4));
                alerts[(source, integration, row.Fingerprint)] = row;
            }
        }
        var open = new Dictionary<string, (long Id, string Status)>();
        await using (var reader = await lookup.OpenIncidents(tx, signals.Select(s => s.IncidentKey)).ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) open[reader.GetString(1)] = (reader.GetInt64(0), reader.GetString(2));
        }

        var plan = new SignalPlan();
        plan.StoredAlerts.UnionWith(alerts.Keys);
        plan.OpenKeys.UnionWith(open.Keys);
        var touchedAlerts = new HashSet<(string, string, string)>();
        var touchedIncidents = new HashSet<string>();
        foreach (var s in signals)
        {
            var key = (s.Source, s.IntegrationId, s.Fingerprint);
            var stored = alerts.GetValueOrDefault(key);
            var clean = !touchedAlerts.Contains(key) && !touchedIncidents.Contains(s.IncidentKey) && (stored is null || !touchedIncidents.Contains(stored.DedupKey));
            if (clean)
            {
                switch (s.Kind)
                {
                    case SignalKind.Fire when stored is { Status: Firing } && stored.DedupKey == s.IncidentKey
                                              && open.TryGetValue(s.IncidentKey, out var incident) && incident.Id == stored.IncidentId:
                        plan.Refresh[stored.Id] = s;
                        continue;
                    case SignalKind.Resolve when stored is not { Status: Firing }:
                        continue;
                    case SignalKind.Acknowledge when !open.TryGetValue(s.IncidentKey, out var incident) || incident.Status != "triggered":
                        continue;
                }
            }
            plan.Apply.Add(s);
            touchedAlerts.Add(key);
            touchedIncidents.Add(s.IncidentKey);
            if (stored is not null) touchedIncidents.Add(stored.DedupKey);
        }
        return plan;
    }

    private sealed record StoredAlert(long Id, string Fingerprint, string Status, string DedupKey, long? IncidentId);

    /// <summary>The open incident of a dedup key, if any (tracked, for update).</summary>
    public static async Task<Incident?> OpenIncidentAsync(VigilDbContext db, string dedupKey, CancellationToken ct) =>
        db.Incidents.Local.FirstOrDefault(i => i.DedupKey == dedupKey && i.Status != Resolved)
        ?? await db.Incidents.FirstOrDefaultAsync(i => i.DedupKey == dedupKey && i.Status != Resolved, ct);

    /// <summary>A new triggered incident, due for acknowledgement by its severity's <c>respond_within</c>.</summary>
    public Incident Open(WorkspaceModel w, Service? service, string? serviceId, string severity, string title, string? summary, string? dedupKey, RunbookLink? runbook)
    {
        var now = time.GetUtcNow();
        var respond = w.Severities.FirstOrDefault(s => s.Id == severity)?.RespondWithin;
        return new Incident
        {
            Title = Clip(title, 300),
            Summary = summary,
            ServiceId = service?.Id ?? serviceId,
            Severity = severity,
            Status = IncidentLifecycle.Name(IncidentStatus.Triggered),
            DedupKey = dedupKey,
            OpenedAt = now,
            AckDueAt = respond is { } d ? now + d : null,
            RunbookPath = runbook?.Path ?? runbook?.Url,
            RunbookSection = runbook?.Section,
        };
    }

    public IncidentTimelineEntry Entry(string kind, string actor, string text, string? data = null) =>
        new() { At = time.GetUtcNow(), Kind = kind, Actor = actor, Text = workspace.Redact(text), Data = data is null ? null : workspace.Redact(data) };

    /// <summary>Adds (not saved) an entry to the timeline of an incident known by its id; <paramref name="data"/> is serialized as the API writes JSON.</summary>
    public void AddEntry(VigilDbContext db, long incidentId, string kind, string actor, string text, object? data = null)
    {
        var entry = Entry(kind, actor, text, data is null ? null : JsonSerializer.Serialize(data, Json.Options));
        entry.IncidentId = incidentId;
        db.IncidentTimeline.Add(entry);
    }

    private void Set(Alert alert, AlertSignal s, FiringAlert firing)
    {
        if (alert.Status != Firing || alert.StartedAt == default) alert.StartedAt = s.At;
        alert.DedupKey = s.IncidentKey;
        alert.ServiceId = s.ServiceId;
        alert.Severity = firing.Severity;
        alert.Status = Firing;
        alert.Summary = ClipSummary(firing.Summary);
        alert.Labels = firing.Labels;
        alert.Details = firing.Details;
        alert.EndedAt = null;
        alert.LastEventAt = time.GetUtcNow();
    }

    /// <summary>An alert's summary as stored (at most 1,024 characters).</summary>
    public static string ClipSummary(string summary) => Clip(summary, 1024);

    /// <summary>Opens the alert's incident, or joins the open one with its dedup key; a repeat of a firing alert on it changes nothing more.</summary>
    private void Fire(VigilDbContext db, Batch batch, WorkspaceModel w, Service? service, AlertSignal s, FiringAlert firing)
    {
        var key = (s.Source, s.IntegrationId, s.Fingerprint);
        if (!batch.Alerts.TryGetValue(key, out var alert))
        {
            alert = new Alert { Source = s.Source, IntegrationId = s.IntegrationId, Fingerprint = s.Fingerprint, DedupKey = "", Severity = "", Status = Resolved, Summary = "" };
            db.Alerts.Add(alert);
            batch.Alerts[key] = alert;
        }
        var wasFiring = alert.Status == Firing;
        Set(alert, s, firing);
        var incident = batch.Open.GetValueOrDefault(alert.DedupKey);
        if (incident is not null && wasFiring && ReferenceEquals(alert.Incident, incident)) return;
        if (incident is null)
        {
            var opening = firing.Opening;
            incident = Open(w, service, alert.ServiceId, alert.Severity, opening.Title, opening.Summary, alert.DedupKey, opening.Runbook);
            incident.Timeline.Add(Entry("triggered", s.Actor, s.Text ?? firing.Summary));
            if (Alerts.Silences.Reason(w, alert.ServiceId, firing.MatchLabels, time.GetUtcNow(), batch.Silences) is { } reason)
            {
                incident.Suppressed = true;
                incident.Timeline.Add(Entry("suppressed", "vigil", $"Silenced by {reason}: recorded, nobody is paged."));
            }
            db.Incidents.Add(incident);
            batch.Open[alert.DedupKey] = incident;
            batch.Audits.Add((incident, s.Actor, "incident.open",
                new { title = incident.Title, severity = incident.Severity, service = incident.ServiceId, dedup_key = incident.DedupKey, suppressed = incident.Suppressed }));
        }
        else
        {
            incident.Timeline.Add(Entry("alert", s.Actor, s.Text ?? firing.Summary));
        }
        alert.Incident = incident;
    }

    /// <summary>Resolves an alert; its incident resolves too once none of its alerts fires, unless the service says <c>auto_resolve: false</c>.</summary>
    private async Task ResolveAsync(VigilDbContext db, Batch batch, Service? service, Alert alert, DateTimeOffset at, string actor, string text, CancellationToken ct)
    {
        alert.Status = Resolved;
        alert.EndedAt = at;
        alert.LastEventAt = time.GetUtcNow();
        if (alert.Incident is not { Status: not Resolved } incident) return;
        incident.Timeline.Add(Entry("alert", actor, text));
        // The incident's other firing alerts, loaded into the context: those the batch already changed keep their new state.
        if (incident.Id != 0) await db.Alerts.Where(a => a.IncidentId == incident.Id && a.Status == Firing).LoadAsync(ct);
        var othersFiring = db.Alerts.Local.Any(a => a != alert && a.Status == Firing && (ReferenceEquals(a.Incident, incident) || (incident.Id != 0 && a.IncidentId == incident.Id)));
        if (othersFiring || !(service?.AutoResolve ?? true)) return;
        var from = incident.Status;
        incident.Status = Resolved;
        incident.ResolvedAt = time.GetUtcNow();
        incident.Timeline.Add(Entry("resolved", "vigil", "Every alert on the incident has recovered: resolved automatically."));
        if (incident.DedupKey is not null && batch.Open.GetValueOrDefault(incident.DedupKey) == incident) batch.Open.Remove(incident.DedupKey);
        batch.Audits.Add((incident, actor, "incident.resolve", new { from, to = Resolved, automatic = true }));
    }

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}

/// <summary>A batch of signals sorted by <see cref="IncidentStore.PlanAsync"/>.</summary>
public sealed class SignalPlan
{
    /// <summary>Alert rows to refresh from a repeat of their firing signal (the last of the batch per alert), by alert id.</summary>
    public Dictionary<long, AlertSignal> Refresh { get; } = [];

    /// <summary>Signals that open, join, resolve or acknowledge: applied in order by <see cref="IncidentStore.ApplyAsync"/>.</summary>
    public List<AlertSignal> Apply { get; } = [];

    /// <summary>The batch's alerts (source, integration, fingerprint) that were stored when it was planned.</summary>
    public HashSet<(string, string, string)> StoredAlerts { get; } = [];

    /// <summary>The batch's incident keys that had an open incident when it was planned.</summary>
    public HashSet<string> OpenKeys { get; } = [];
}

/// <summary>
/// The two reads of <see cref="IncidentStore.PlanAsync"/> as statements prepared once for a connection. Hand-written:
/// EF would generate an IN list's SQL again for each new number of keys; here the keys are one parameter.
/// </summary>
public sealed class SignalLookup
{
    private readonly bool sqlite;
    private readonly DbCommand alerts;
    private readonly DbCommand incidents;

    public SignalLookup(DbConnection connection, bool sqlite)
    {
        this.sqlite = sqlite;
        var list = sqlite ? "IN (SELECT value FROM json_each(@keys))" : "= ANY(@keys)";
        alerts = Checks.Sql.Command(connection, null,
            $"SELECT id, fingerprint, status, dedup_key, incident_id FROM alerts WHERE source = @source AND integration_id = @integration AND fingerprint {list}",
            "@source", "@integration", "@keys");
        incidents = Checks.Sql.Command(connection, null, $"SELECT id, dedup_key, status FROM incidents WHERE status <> 'resolved' AND dedup_key {list}", "@keys");
    }

    /// <summary>The stored alerts of one source and integration among these fingerprints: id, fingerprint, status, dedup key, incident id.</summary>
    public DbCommand Alerts(DbTransaction tx, string source, string integration, IEnumerable<string> fingerprints)
    {
        alerts.Transaction = tx;
        Checks.Sql.Set(alerts, "@source", source);
        Checks.Sql.Set(alerts, "@integration", integration);
        Checks.Sql.Set(alerts, "@keys", Checks.Sql.Keys(sqlite, fingerprints));
        return alerts;
    }

    /// <summary>The open incidents among these dedup keys: id, dedup key, status.</summary>
    public DbCommand OpenIncidents(DbTransaction tx, IEnumerable<string> dedupKeys)
    {
        incidents.Transaction = tx;
        Checks.Sql.Set(incidents, "@keys", Checks.Sql.Keys(sqlite, dedupKeys));
        return incidents;
    }

    /// <summary>Its prepared statements, disposed with the connection's owner.</summary>
    public IEnumerable<DbCommand> Statements => [alerts, incidents];
}

using Microsoft.EntityFrameworkCore;
using Vigil.Core.Alerts;
using Vigil.Core.Incidents;
using Vigil.Core.Workspace;
using Vigil.Storage;

namespace Vigil.Web.Incidents;

/// <summary>
/// Incidents and their timelines: opened, joined and resolved by alerts, and changed by responders.
/// </summary>
/// <remarks>
/// <para>Check alerts are applied by the result writer inside the transaction that stores the result that fired them,
/// so a crash can never keep the result and lose the incident (or the reverse), and the incident row is committed with
/// the result (no second queue between them).</para>
/// <para>At most one incident per dedup key is open; the database enforces it with a partial unique index, so two
/// instances cannot both open one. Responders' changes go through the incident's version (optimistic concurrency).</para>
/// </remarks>
public sealed class IncidentStore(IDbContextFactory<VigilDbContext> dbFactory, WorkspaceState workspace, TimeProvider time)
{
    public const string Resolved = "resolved";

    /// <summary>Applies check alert changes in <paramref name="db"/>'s current transaction; saves, does not commit.</summary>
    public async Task ApplyCheckAlertsAsync(VigilDbContext db, IReadOnlyList<CheckAlertChange> changes, CancellationToken ct)
    {
        var w = workspace.Current;
        foreach (var change in changes)
        {
            var fingerprint = $"{change.ServiceId}/{change.CheckId}";
            var alert = await db.Alerts.FirstOrDefaultAsync(a => a.Source == "check" && a.IntegrationId == "" && a.Fingerprint == fingerprint, ct);
            var r = change.Result;
            var message = w.Secrets.Redact(r.Message);
            var service = w.FindService(change.ServiceId);
            if (change.Transition == AlertTransition.Fire && change.Rule is { } rule)
            {
                var dedup = AlertEvaluator.DedupKey(rule, change.ServiceId, change.CheckId);
                if (alert is null)
                {
                    alert = new Alert { Source = "check", Fingerprint = fingerprint, DedupKey = dedup, Severity = rule.Severity, Status = "firing", Summary = message };
                    db.Alerts.Add(alert);
                }
                alert.DedupKey = dedup;
                alert.ServiceId = change.ServiceId;
                alert.Severity = rule.Severity;
                alert.Status = "firing";
                alert.Summary = message;
                alert.StartedAt = r.At;
                alert.EndedAt = null;
                alert.LastEventAt = r.At;
                var actor = $"check:{fingerprint}";
                var text = $"{fingerprint} is {Checks.Sql.Status(r.Status)}: {message}";
                var incident = await OpenIncidentAsync(db, dedup, ct);
                if (incident is null)
                {
                    incident = Open(w, service, change.ServiceId, rule.Severity, $"{service?.Name ?? change.ServiceId}: {change.CheckId} is {Checks.Sql.Status(r.Status)}", message, dedup,
                        RunbookLink.Resolve(rule.Runbook, service?.Runbook));
                    incident.Timeline.Add(Entry("triggered", actor, text));
                    var labels = new Dictionary<string, string>
                    {
                        ["service"] = change.ServiceId,
                        ["check"] = change.CheckId,
                        ["severity"] = rule.Severity,
                        ["dedup_key"] = dedup,
                    };
                    if (await Alerts.Silences.ReasonAsync(db, w, change.ServiceId, labels, time.GetUtcNow(), ct) is { } reason)
                    {
                        incident.Suppressed = true;
                        incident.Timeline.Add(Entry("suppressed", "vigil", $"Silenced by {reason}: recorded, nobody is paged."));
                    }
                    db.Incidents.Add(incident);
                }
                else
                {
                    incident.Timeline.Add(Entry("alert", actor, text));
                }
                alert.Incident = incident;
                await db.SaveChangesAsync(ct);
            }
            else if (change.Transition == AlertTransition.Resolve && alert is not null)
            {
                alert.Status = "resolved";
                alert.EndedAt = r.At;
                alert.LastEventAt = r.At;
                var incident = alert.IncidentId is { } id ? await db.Incidents.FirstOrDefaultAsync(i => i.Id == id && i.Status != Resolved, ct) : null;
                if (incident is not null)
                {
                    incident.Timeline.Add(Entry("alert", $"check:{fingerprint}",
                        change.Rule is null ? $"{fingerprint} no longer has an alert rule; its alert is resolved" : $"{fingerprint} recovered: {message}"));
                    var othersFiring = await db.Alerts.AnyAsync(a => a.IncidentId == incident.Id && a.Id != alert.Id && a.Status == "firing", ct);
                    if (!othersFiring && (service?.AutoResolve ?? true))
                    {
                        incident.Status = Resolved;
                        incident.ResolvedAt = time.GetUtcNow();
                        incident.Timeline.Add(Entry("resolved", "vigil", "Every alert on the incident has recovered: resolved automatically."));
                    }
                }
                await db.SaveChangesAsync(ct);
            }
        }
    }

    /// <summary>The open incident of a dedup key, if any (tracked, for update).</summary>
    public static Task<Incident?> OpenIncidentAsync(VigilDbContext db, string dedupKey, CancellationToken ct) =>
        db.Incidents.FirstOrDefaultAsync(i => i.DedupKey == dedupKey && i.Status != Resolved, ct);

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

    public DateTimeOffset Now => time.GetUtcNow();

    public async Task<VigilDbContext> ContextAsync(CancellationToken ct) => await dbFactory.CreateDbContextAsync(ct);

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}

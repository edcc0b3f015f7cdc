using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Alerts;
using Vigil.Core.Alerts.Inbound;
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

    /// <summary>Applies check alert changes in <paramref name="db"/>'s current transaction; saves, does not commit.</summary>
    public async Task ApplyCheckAlertsAsync(VigilDbContext db, IReadOnlyList<CheckAlertChange> changes, CancellationToken ct)
    {
        var w = workspace.Current;
        foreach (var change in changes)
        {
            var fingerprint = $"{change.ServiceId}/{change.CheckId}";
            var r = change.Result;
            var message = w.Secrets.Redact(r.Message);
            var service = w.FindService(change.ServiceId);
            var actor = $"check:{fingerprint}";
            if (change.Transition == AlertTransition.Fire && change.Rule is { } rule)
            {
                var dedup = AlertEvaluator.DedupKey(rule, change.ServiceId, change.CheckId);
                var status = Checks.Sql.Status(r.Status);
                var (alert, wasFiring) = await AlertAsync(db, "check", "", fingerprint, ct);
                Set(alert, dedup, change.ServiceId, rule.Severity, message, r.At, labels: null, details: null);
                var labels = new Dictionary<string, string> { ["service"] = change.ServiceId, ["check"] = change.CheckId, ["severity"] = rule.Severity, ["dedup_key"] = dedup };
                await FireAsync(db, w, service, alert, wasFiring, actor, $"{fingerprint} is {status}: {message}",
                    new Opening($"{service?.Name ?? change.ServiceId}: {change.CheckId} is {status}", message, RunbookLink.Resolve(rule.Runbook, service?.Runbook)), labels, ct);
            }
            else if (change.Transition == AlertTransition.Resolve && await FindAlertAsync(db, "check", "", fingerprint, ct) is { } alert)
            {
                await ResolveAsync(db, service, alert, r.At, actor,
                    change.Rule is null ? $"{fingerprint} no longer has an alert rule; its alert is resolved" : $"{fingerprint} recovered: {message}", ct);
            }
        }
    }

    /// <summary>Applies a PagerDuty event whose dedup key is set (generated for a trigger without one).</summary>
    public async Task ApplyPagerDutyAsync(VigilDbContext db, Integration integration, PagerDutyEvent e, string dedupKey, CancellationToken ct)
    {
        var w = workspace.Current;
        var service = w.FindService(integration.Service);
        var actor = $"pagerduty:{integration.Id}";
        var incidentKey = $"{integration.Id}/{dedupKey}";
        var now = time.GetUtcNow();
        switch (e.Action)
        {
            case PagerDutyAction.Trigger:
            {
                var severity = SeverityMapping.Resolve(w, integration, e.Severity);
                var summary = w.Secrets.Redact(e.Summary ?? dedupKey);
                var labels = new Dictionary<string, string>
                {
                    ["service"] = integration.Service, ["severity"] = severity, ["dedup_key"] = incidentKey, ["integration"] = integration.Id,
                    ["source"] = e.Source ?? "", ["component"] = e.Component ?? "", ["group"] = e.Group ?? "", ["class"] = e.Class ?? "",
                };
                var details = JsonSerializer.Serialize(new { e.Source, e.Component, e.Group, e.Class, custom_details = Raw(e.CustomDetails), links = Raw(e.Links), images = Raw(e.Images), e.Client, client_url = e.ClientUrl }, Json.Options);
                var (alert, wasFiring) = await AlertAsync(db, "pagerduty", integration.Id, dedupKey, ct);
                Set(alert, incidentKey, integration.Service, severity, summary, e.Timestamp ?? now, JsonSerializer.Serialize(labels, Json.Options), w.Secrets.Redact(details));
                await FireAsync(db, w, service, alert, wasFiring, actor, $"Triggered: {summary} (source {e.Source}, severity {e.Severity})",
                    new Opening(summary, e.Source is null ? null : $"Source: {e.Source}", RunbookLink.Resolve(null, service?.Runbook)), labels, ct);
                break;
            }
            case PagerDutyAction.Acknowledge:
            {
                if (await OpenIncidentAsync(db, incidentKey, ct) is { Status: "triggered" } incident)
                {
                    incident.Status = IncidentLifecycle.Name(IncidentStatus.Acknowledged);
                    incident.AcknowledgedAt = now;
                    incident.Timeline.Add(Entry("acknowledged", actor, "Acknowledged by the sender"));
                    await db.SaveChangesAsync(ct);
                }
                break;
            }
            case PagerDutyAction.Resolve:
            {
                if (await FindAlertAsync(db, "pagerduty", integration.Id, dedupKey, ct) is { Status: Firing } alert)
                    await ResolveAsync(db, service, alert, now, actor, $"Resolved by the sender: {alert.Summary}", ct);
                break;
            }
        }
    }

    /// <summary>Applies an Alertmanager notification: each alert by its fingerprint; one incident per notification group.</summary>
    public async Task ApplyAlertmanagerAsync(VigilDbContext db, Integration integration, AlertmanagerNotification n, CancellationToken ct)
    {
        var w = workspace.Current;
        var service = w.FindService(integration.Service);
        var actor = $"alertmanager:{integration.Id}";
        foreach (var a in n.Alerts)
        {
            var incidentKey = $"{integration.Id}/{n.GroupKey ?? a.Fingerprint}";
            var name = a.Labels.GetValueOrDefault("alertname") ?? a.Fingerprint;
            var summary = w.Secrets.Redact(a.Summary ?? name);
            if (a.Firing)
            {
                var severity = SeverityMapping.Resolve(w, integration, a.Labels.GetValueOrDefault(integration.SeverityLabel));
                var labels = new Dictionary<string, string>(a.Labels) { ["integration"] = integration.Id, ["dedup_key"] = incidentKey };
                labels.TryAdd("service", integration.Service);
                labels.TryAdd("severity", severity);
                var details = JsonSerializer.Serialize(new { annotations = a.Annotations, generator_url = a.GeneratorUrl }, Json.Options);
                var (alert, wasFiring) = await AlertAsync(db, "alertmanager", integration.Id, a.Fingerprint, ct);
                Set(alert, incidentKey, integration.Service, severity, summary, a.StartsAt ?? time.GetUtcNow(), JsonSerializer.Serialize(a.Labels, Json.Options), w.Secrets.Redact(details));
                await FireAsync(db, w, service, alert, wasFiring, actor, $"Firing: {name}: {summary}",
                    new Opening(summary, a.Description is null ? null : w.Secrets.Redact(a.Description), RunbookLink.Resolve(a.RunbookUrl, service?.Runbook)), labels, ct);
            }
            else if (await FindAlertAsync(db, "alertmanager", integration.Id, a.Fingerprint, ct) is { Status: Firing } alert)
            {
                await ResolveAsync(db, service, alert, a.EndsAt ?? time.GetUtcNow(), actor, $"Resolved: {name}: {summary}", ct);
            }
        }
    }

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

    /// <summary>What a new incident is opened with.</summary>
    private sealed record Opening(string Title, string? Summary, RunbookLink? Runbook);

    private static async Task<Alert?> FindAlertAsync(VigilDbContext db, string source, string integration, string fingerprint, CancellationToken ct) =>
        db.Alerts.Local.FirstOrDefault(a => a.Source == source && a.IntegrationId == integration && a.Fingerprint == fingerprint)
        ?? await db.Alerts.FirstOrDefaultAsync(a => a.Source == source && a.IntegrationId == integration && a.Fingerprint == fingerprint, ct);

    private static async Task<(Alert Alert, bool WasFiring)> AlertAsync(VigilDbContext db, string source, string integration, string fingerprint, CancellationToken ct)
    {
        if (await FindAlertAsync(db, source, integration, fingerprint, ct) is { } found) return (found, found.Status == Firing);
        var alert = new Alert { Source = source, IntegrationId = integration, Fingerprint = fingerprint, DedupKey = "", Severity = "", Status = Firing, Summary = "" };
        db.Alerts.Add(alert);
        return (alert, false);
    }

    private void Set(Alert alert, string dedupKey, string? serviceId, string severity, string summary, DateTimeOffset startedAt, string? labels, string? details)
    {
        if (alert.Status != Firing || alert.StartedAt == default) alert.StartedAt = startedAt;
        alert.DedupKey = dedupKey;
        alert.ServiceId = serviceId;
        alert.Severity = severity;
        alert.Status = Firing;
        alert.Summary = Clip(summary, 1024);
        alert.Labels = labels;
        alert.Details = details;
        alert.EndedAt = null;
        alert.LastEventAt = time.GetUtcNow();
    }

    /// <summary>Opens the alert's incident, or joins the open one with its dedup key; a repeat of a firing alert on it changes nothing more.</summary>
    private async Task FireAsync(VigilDbContext db, WorkspaceModel w, Service? service, Alert alert, bool wasFiring, string actor, string text, Opening opening,
        IReadOnlyDictionary<string, string> labels, CancellationToken ct)
    {
        var incident = await OpenIncidentAsync(db, alert.DedupKey, ct);
        if (incident is not null && wasFiring && alert.IncidentId == incident.Id)
        {
            await db.SaveChangesAsync(ct);
            return;
        }
        if (incident is null)
        {
            incident = Open(w, service, alert.ServiceId, alert.Severity, opening.Title, opening.Summary, alert.DedupKey, opening.Runbook);
            incident.Timeline.Add(Entry("triggered", actor, text));
            if (await Alerts.Silences.ReasonAsync(db, w, alert.ServiceId, labels, time.GetUtcNow(), ct) is { } reason)
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

    /// <summary>Resolves an alert; its incident resolves too once none of its alerts fires, unless the service says <c>auto_resolve: false</c>.</summary>
    private async Task ResolveAsync(VigilDbContext db, Service? service, Alert alert, DateTimeOffset at, string actor, string text, CancellationToken ct)
    {
        alert.Status = Resolved;
        alert.EndedAt = at;
        alert.LastEventAt = time.GetUtcNow();
        var incident = alert.IncidentId is { } id
            ? db.Incidents.Local.FirstOrDefault(i => i.Id == id && i.Status != Resolved) ?? await db.Incidents.FirstOrDefaultAsync(i => i.Id == id && i.Status != Resolved, ct)
            : null;
        if (incident is not null)
        {
            incident.Timeline.Add(Entry("alert", actor, text));
            var othersFiring = db.Alerts.Local.Any(a => a.IncidentId == incident.Id && a != alert && a.Status == Firing)
                || await db.Alerts.AnyAsync(a => a.IncidentId == incident.Id && a.Id != alert.Id && a.Status == Firing, ct);
            if (!othersFiring && (service?.AutoResolve ?? true))
            {
                incident.Status = Resolved;
                incident.ResolvedAt = time.GetUtcNow();
                incident.Timeline.Add(Entry("resolved", "vigil", "Every alert on the incident has recovered: resolved automatically."));
            }
        }
        await db.SaveChangesAsync(ct);
    }

    private static JsonElement? Raw(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}

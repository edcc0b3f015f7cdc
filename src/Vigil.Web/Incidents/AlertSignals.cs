using System.Text.Json;
using Vigil.Core.Alerts;
using Vigil.Core.Alerts.Inbound;
using Vigil.Core.Incidents;
using Vigil.Core.Workspace;
using Vigil.Web.Hosting;

namespace Vigil.Web.Incidents;

/// <summary>What a source says about one of its alerts.</summary>
public enum SignalKind
{
    /// <summary>The alert fires (again): open or join its incident.</summary>
    Fire,

    /// <summary>The alert recovered: resolve it, and its incident once none of its alerts fires.</summary>
    Resolve,

    /// <summary>The sender acknowledged the alert's incident (PagerDuty's <c>acknowledge</c>).</summary>
    Acknowledge,
}

/// <summary>What a new incident is opened with.</summary>
public sealed record Opening(string Title, string? Summary, RunbookLink? Runbook);

/// <summary>
/// What a firing alert is: stored on the alert row (severity, summary, labels as JSON or null, details), and used to
/// open its incident (the opening, and the labels silences match against).
/// </summary>
public sealed record FiringAlert(string Severity, string Summary, string? Labels, string? Details, Opening Opening, IReadOnlyDictionary<string, string> MatchLabels);

/// <summary>
/// One thing a source (a check, a PagerDuty event, an Alertmanager notification) says about one alert, identified by
/// (<see cref="Source"/>, <see cref="IntegrationId"/>, <see cref="Fingerprint"/>). Built where the event is read (the
/// request thread, the check writer) with everything already redacted and mapped, so the single writer that applies
/// signals only decides and stores.
/// </summary>
/// <remarks>
/// <see cref="IncidentKey"/> is the dedup key of the incident the alert belongs to (on a resolve it is informative: the
/// alert's stored incident is the one resolved). <see cref="At"/> is when the alert started (fire) or ended (resolve),
/// as the source says. <see cref="Text"/> is the timeline's text; null on a resolve means "Resolved by the sender: "
/// and the alert's summary.
/// </remarks>
public sealed record AlertSignal(SignalKind Kind, string Source, string IntegrationId, string Fingerprint, string IncidentKey, string? ServiceId,
    string Actor, string? Text, DateTimeOffset At, FiringAlert? Firing = null)
{
    /// <summary>The check alert changes of a batch of results.</summary>
    public static List<AlertSignal> Of(WorkspaceModel w, IReadOnlyList<CheckAlertChange> changes)
    {
        var signals = new List<AlertSignal>(changes.Count);
        foreach (var change in changes)
        {
            var fingerprint = $"{change.ServiceId}/{change.CheckId}";
            var r = change.Result;
            var message = w.Secrets.Redact(r.Message);
            var actor = $"check:{fingerprint}";
            if (change.Transition == AlertTransition.Fire && change.Rule is { } rule)
            {
                var service = w.FindService(change.ServiceId);
                var dedup = AlertEvaluator.DedupKey(rule, change.ServiceId, change.CheckId);
                var status = Checks.Sql.Status(r.Status);
                var labels = new Dictionary<string, string> { ["service"] = change.ServiceId, ["check"] = change.CheckId, ["severity"] = rule.Severity, ["dedup_key"] = dedup };
                signals.Add(new AlertSignal(SignalKind.Fire, "check", "", fingerprint, dedup, change.ServiceId, actor, $"{fingerprint} is {status}: {message}", r.At,
                    new FiringAlert(rule.Severity, message, null, null,
                        new Opening($"{service?.Name ?? change.ServiceId}: {change.CheckId} is {status}", message, RunbookLink.Resolve(rule.Runbook, service?.Runbook, w)), labels)));
            }
            else if (change.Transition == AlertTransition.Resolve)
            {
                var dedup = change.Rule is { } had ? AlertEvaluator.DedupKey(had, change.ServiceId, change.CheckId) : fingerprint;
                signals.Add(new AlertSignal(SignalKind.Resolve, "check", "", fingerprint, dedup, change.ServiceId, actor,
                    change.Rule is null ? $"{fingerprint} no longer has an alert rule; its alert is resolved" : $"{fingerprint} recovered: {message}", r.At));
            }
        }
        return signals;
    }

    /// <summary>A PagerDuty event whose dedup key is set (generated for a trigger without one).</summary>
    public static AlertSignal Of(WorkspaceModel w, Integration integration, PagerDutyEvent e, string dedupKey, DateTimeOffset now)
    {
        var actor = $"pagerduty:{integration.Id}";
        var incidentKey = $"{integration.Id}/{dedupKey}";
        switch (e.Action)
        {
            case PagerDutyAction.Trigger:
                var service = w.FindService(integration.Service);
                var severity = SeverityMapping.Resolve(w, integration, e.Severity);
                var summary = w.Secrets.Redact(e.Summary ?? dedupKey);
                var labels = new Dictionary<string, string>
                {
                    ["service"] = integration.Service, ["severity"] = severity, ["dedup_key"] = incidentKey, ["integration"] = integration.Id,
                    ["source"] = e.Source ?? "", ["component"] = e.Component ?? "", ["group"] = e.Group ?? "", ["class"] = e.Class ?? "",
                };
                return new AlertSignal(SignalKind.Fire, "pagerduty", integration.Id, dedupKey, incidentKey, integration.Service, actor,
                    $"Triggered: {summary} (source {e.Source}, severity {e.Severity})", e.Timestamp ?? now,
                    new FiringAlert(severity, summary, JsonText.Object(labels), w.Secrets.Redact(PagerDutyDetails(e)),
                        new Opening(summary, e.Source is null ? null : $"Source: {e.Source}", RunbookLink.Resolve(null, service?.Runbook, w)), labels));
            case PagerDutyAction.Acknowledge:
                return new AlertSignal(SignalKind.Acknowledge, "pagerduty", integration.Id, dedupKey, incidentKey, integration.Service, actor, "Acknowledged by the sender", now);
            default:
                return new AlertSignal(SignalKind.Resolve, "pagerduty", integration.Id, dedupKey, incidentKey, integration.Service, actor, null, now);
        }
    }

    /// <summary>An Alertmanager notification: each alert by its fingerprint; one incident per notification group.</summary>
    public static List<AlertSignal> Of(WorkspaceModel w, Integration integration, AlertmanagerNotification n, DateTimeOffset now)
    {
        var service = w.FindService(integration.Service);
        var actor = $"alertmanager:{integration.Id}";
        var signals = new List<AlertSignal>(n.Alerts.Count);
        foreach (var a in n.Alerts)
        {
            var incidentKey = $"{integration.Id}/{n.GroupKey ?? a.Fingerprint}";
            var name = a.Labels.GetValueOrDefault("alertname") ?? a.Fingerprint;
            var summary = w.Secrets.Redact(a.Summary ?? name);
            if (!a.Firing)
            {
                signals.Add(new AlertSignal(SignalKind.Resolve, "alertmanager", integration.Id, a.Fingerprint, incidentKey, integration.Service, actor, $"Resolved: {name}: {summary}", a.EndsAt ?? now));
                continue;
            }
            var severity = SeverityMapping.Resolve(w, integration, a.Labels.GetValueOrDefault(integration.SeverityLabel));
            var labels = new Dictionary<string, string>(a.Labels) { ["integration"] = integration.Id, ["dedup_key"] = incidentKey };
            labels.TryAdd("service", integration.Service);
            labels.TryAdd("severity", severity);
            var details = JsonSerializer.Serialize(new { annotations = a.Annotations, generator_url = a.GeneratorUrl }, Json.Options);
            signals.Add(new AlertSignal(SignalKind.Fire, "alertmanager", integration.Id, a.Fingerprint, incidentKey, integration.Service, actor, $"Firing: {name}: {summary}", a.StartsAt ?? now,
                new FiringAlert(severity, summary, JsonText.Object(a.Labels), w.Secrets.Redact(details),
                    new Opening(summary, a.Description is null ? null : w.Secrets.Redact(a.Description), RunbookLink.Resolve(a.RunbookUrl, service?.Runbook, w)), labels)));
        }
        return signals;
    }

    /// <summary>The event's details as stored on the alert; objects and arrays are copied as the sender wrote them.</summary>
    private static string PagerDutyDetails(PagerDutyEvent e) =>
        JsonText.Write(e, static (json, e) =>
        {
            json.WriteStartObject();
            json.WriteString("source", e.Source);
            json.WriteString("component", e.Component);
            json.WriteString("group", e.Group);
            json.WriteString("class", e.Class);
            Raw(json, "custom_details", e.CustomDetails);
            Raw(json, "links", e.Links);
            Raw(json, "images", e.Images);
            json.WriteString("client", e.Client);
            json.WriteString("client_url", e.ClientUrl);
            json.WriteEndObject();
        });

    private static void Raw(Utf8JsonWriter json, string name, string? value)
    {
        json.WritePropertyName(name);
        if (value is null) json.WriteNullValue();
        else json.WriteRawValue(value, skipInputValidation: true);
    }
}

namespace Vigil.Storage;

/// <summary>
/// An alert from any source, tracked by its fingerprint so a resend updates the same row.
/// Alerts with the same dedup key group into one incident.
/// </summary>
public sealed class Alert
{
    public long Id { get; set; }

    /// <summary><c>check</c>, <c>alertmanager</c>, <c>pagerduty</c> or <c>heartbeat</c>.</summary>
    public required string Source { get; set; }

    /// <summary>
    /// The integration that raised the alert; the empty string for built-in sources (checks, heartbeats),
    /// never null, so the unique key (source, integration, fingerprint) holds for them too.
    /// </summary>
    public string IntegrationId { get; set; } = "";

    /// <summary>Identity of the alert within its source: Alertmanager's fingerprint, PagerDuty's dedup_key, or service/check.</summary>
    public required string Fingerprint { get; set; }

    /// <summary>The grouping key: alerts sharing it belong to the same open incident.</summary>
    public required string DedupKey { get; set; }

    public string? ServiceId { get; set; }

    public required string Severity { get; set; }

    /// <summary><c>firing</c> or <c>resolved</c>.</summary>
    public required string Status { get; set; }

    public required string Summary { get; set; }

    /// <summary>Source-specific details (annotations, custom_details) as JSON text.</summary>
    public string? Details { get; set; }

    /// <summary>Labels as a JSON object; silences match against them.</summary>
    public string? Labels { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    public DateTimeOffset LastEventAt { get; set; }

    public long? IncidentId { get; set; }

    /// <summary>The incident the alert is on; set with a new incident, EF fills <see cref="IncidentId"/> in the same save.</summary>
    public Incident? Incident { get; set; }
}

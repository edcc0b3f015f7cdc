namespace Vigil.Storage;

/// <summary>
/// An incident: the unit people respond to. At most one incident per dedup key is open at a time.
/// </summary>
/// <remarks>
/// <see cref="Version"/> is an optimistic concurrency token that <see cref="VigilDbContext"/> increments on every
/// tracked update, so two responders (or two instances) acknowledging at once cannot both win silently.
/// Bulk updates (<c>ExecuteUpdate</c>) bypass the change tracker and must increment it themselves.
/// </remarks>
public sealed class Incident
{
    public long Id { get; set; }

    public required string Title { get; set; }

    /// <summary>A longer description: the first alert's message, or what a responder wrote.</summary>
    public string? Summary { get; set; }

    public string? ServiceId { get; set; }

    /// <summary>One of the workspace's severity ids, e.g. <c>P1</c>.</summary>
    public required string Severity { get; set; }

    /// <summary><c>triggered</c>, <c>acknowledged</c> or <c>resolved</c>.</summary>
    public required string Status { get; set; }

    public string? DedupKey { get; set; }

    public string? Assignee { get; set; }

    public DateTimeOffset OpenedAt { get; set; }

    public DateTimeOffset? AcknowledgedAt { get; set; }

    /// <summary>When someone must have acknowledged by: opened at + the severity's <c>respond_within</c>.</summary>
    public DateTimeOffset? AckDueAt { get; set; }

    /// <summary>When the missed response time was recorded on the timeline; null while not missed (or not yet noticed).</summary>
    public DateTimeOffset? ResponseMissedAt { get; set; }

    public DateTimeOffset? ResolvedAt { get; set; }

    /// <summary>The linked runbook, relative to the workspace.</summary>
    public string? RunbookPath { get; set; }

    /// <summary>The anchor of the linked runbook section, without <c>#</c>.</summary>
    public string? RunbookSection { get; set; }

    /// <summary>True when a maintenance window or silence covered the incident: it is recorded but nobody is paged.</summary>
    public bool Suppressed { get; set; }

    public int Version { get; set; }

    /// <summary>Everything that happened, notes included (kind <c>note</c>).</summary>
    public List<IncidentTimelineEntry> Timeline { get; set; } = [];
}

/// <summary>One entry of an incident's timeline: state changes, notes, pages sent, runbook step outputs.</summary>
public sealed class IncidentTimelineEntry
{
    public long Id { get; set; }

    public long IncidentId { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>E.g. <c>triggered</c>, <c>acknowledged</c>, <c>resolved</c>, <c>note</c>, <c>notified</c>, <c>escalated</c>, <c>step</c>, <c>alert</c>.</summary>
    public required string Kind { get; set; }

    public required string Actor { get; set; }

    public required string Text { get; set; }

    /// <summary>Structured payload as JSON text (e.g. a step's exit code and output reference).</summary>
    public string? Data { get; set; }
}

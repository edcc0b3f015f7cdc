namespace Vigil.Core.Incidents;

/// <summary>An incident's status. Stored and shown in lower case.</summary>
public enum IncidentStatus
{
    Triggered,
    Acknowledged,
    Resolved,
}

/// <summary>The runbook an incident links: a section of a workspace runbook, or a URL elsewhere.</summary>
/// <param name="Path">Workspace-relative Markdown file, or null for a URL.</param>
/// <param name="Section">Anchor without <c>#</c>, or null for the whole runbook.</param>
/// <param name="Url">The link for a runbook outside the workspace (Alertmanager's <c>runbook_url</c>, a wiki page).</param>
public sealed record RunbookLink(string? Path, string? Section, string? Url)
{
    /// <summary>
    /// Resolves an alert's <c>runbook</c> against its service's: <c>#service-down</c> is a section of the service's
    /// runbook, <c>runbooks/db.md#section</c> a section of another file, <c>https://…</c> a page elsewhere. Null when
    /// there is nothing to link.
    /// </summary>
    public static RunbookLink? Resolve(string? alertRunbook, string? serviceRunbook)
    {
        var reference = alertRunbook ?? serviceRunbook;
        if (string.IsNullOrWhiteSpace(reference)) return null;
        if (IsUrl(reference)) return new RunbookLink(null, null, reference);
        var hash = reference.IndexOf('#', StringComparison.Ordinal);
        var path = hash < 0 ? reference : reference[..hash];
        var section = hash < 0 || hash == reference.Length - 1 ? null : reference[(hash + 1)..];
        if (path.Length == 0) path = serviceRunbook?.Split('#')[0];
        return string.IsNullOrEmpty(path) ? null : new RunbookLink(path, section, null);
    }

    /// <summary>
    /// As <see cref="Resolve(string?, string?)"/>, and a URL that shows one of the workspace's runbooks (a Git host's
    /// view of the same file, <c>https://git.example.com/ops/blob/main/runbooks/db.md#replication-lag</c>, as
    /// Alertmanager's <c>runbook_url</c> often is) links that runbook and section, so the incident offers its steps.
    /// </summary>
    public static RunbookLink? Resolve(string? alertRunbook, string? serviceRunbook, Workspace.WorkspaceModel workspace)
    {
        var link = Resolve(alertRunbook, serviceRunbook);
        if (link?.Url is null || !Uri.TryCreate(link.Url, UriKind.Absolute, out var uri)) return link;
        var path = Uri.UnescapeDataString(uri.AbsolutePath);
        var doc = workspace.RunbookDocuments.Where(d => path.EndsWith("/" + d.Path, StringComparison.Ordinal))
            .OrderByDescending(d => d.Path.Length).FirstOrDefault();
        if (doc is null) return link;
        var section = Uri.UnescapeDataString(uri.Fragment.TrimStart('#'));
        return new RunbookLink(doc.Path, section.Length == 0 ? null : section, null);
    }

    /// <summary>The link as an incident stores it (a URL goes in the path column), or null.</summary>
    public static RunbookLink? FromStored(string? path, string? section) =>
        path is null ? null : IsUrl(path) ? new RunbookLink(null, null, path) : new RunbookLink(path, section, null);

    private static bool IsUrl(string s) =>
        Uri.TryCreate(s, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}

/// <summary>
/// Which status changes a responder may make: acknowledge a triggered incident, un-acknowledge an acknowledged one,
/// resolve an open one, reopen a resolved one. Asking for the status an incident already has is not an error (a retried
/// request must not fail), it just changes nothing.
/// </summary>
public static class IncidentLifecycle
{
    public static string Name(IncidentStatus s) => s switch
    {
        IncidentStatus.Triggered => "triggered",
        IncidentStatus.Acknowledged => "acknowledged",
        _ => "resolved",
    };

    public static IncidentStatus Parse(string s) => s switch
    {
        "triggered" => IncidentStatus.Triggered,
        "acknowledged" => IncidentStatus.Acknowledged,
        "resolved" => IncidentStatus.Resolved,
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, "not an incident status"),
    };

    /// <summary>The status an action leads to from <paramref name="from"/>, or an explanation of why it cannot.</summary>
    public static (IncidentStatus? To, string? Refusal) Apply(IncidentStatus from, string action) => (action, from) switch
    {
        ("acknowledge", IncidentStatus.Resolved) => (null, "The incident is resolved; reopen it first."),
        ("acknowledge", _) => (IncidentStatus.Acknowledged, null),
        ("unacknowledge", IncidentStatus.Resolved) => (null, "The incident is resolved; reopen it instead."),
        ("unacknowledge", _) => (IncidentStatus.Triggered, null),
        ("resolve", _) => (IncidentStatus.Resolved, null),
        ("reopen", IncidentStatus.Resolved) => (IncidentStatus.Triggered, null),
        ("reopen", _) => (from, null),
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "not an incident action"),
    };
}

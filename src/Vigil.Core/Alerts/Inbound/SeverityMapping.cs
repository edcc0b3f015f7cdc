using Vigil.Core.Workspace;

namespace Vigil.Core.Alerts.Inbound;

/// <summary>
/// The workspace severity of an inbound event. The integration's <c>severity_map</c> wins; otherwise the usual names
/// map onto the workspace's own levels (listed most severe first): <c>critical</c> to the most severe level that
/// pages, <c>error</c> to the next one that pages, <c>warning</c> to the most severe that does not page, <c>info</c> to
/// the least severe. Anything else gets the integration's <c>severity</c>, or the least severe level.
/// </summary>
public static class SeverityMapping
{
    public static string Resolve(WorkspaceModel w, Integration integration, string? sent)
    {
        if (sent is not null && integration.SeverityMap.TryGetValue(sent, out var mapped)) return mapped;
        var levels = w.Severities;
        if (levels.Count == 0) return integration.Severity ?? sent ?? "none";
        var paging = levels.Where(s => s.Page).ToList();
        var quiet = levels.Where(s => !s.Page).ToList();
        var byName = sent?.ToLowerInvariant() switch
        {
            "critical" => (paging.Count > 0 ? paging[0] : levels[0]).Id,
            "error" => (paging.Count > 1 ? paging[1] : paging.Count > 0 ? paging[0] : levels[0]).Id,
            "warning" => (quiet.Count > 0 ? quiet[0] : levels[^1]).Id,
            "info" => levels[^1].Id,
            _ => null,
        };
        if (byName is not null) return byName;
        if (sent is not null && levels.Any(s => s.Id == sent)) return sent;
        return integration.Severity ?? levels[^1].Id;
    }
}

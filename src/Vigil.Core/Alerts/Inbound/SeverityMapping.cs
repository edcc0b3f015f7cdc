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
        // Without LINQ or lowering: this runs for every inbound event.
        string? byName = null;
        if (sent is not null)
        {
            if (sent.Equals("critical", StringComparison.OrdinalIgnoreCase)) byName = (Nth(levels, true, 0) ?? levels[0]).Id;
            else if (sent.Equals("error", StringComparison.OrdinalIgnoreCase)) byName = (Nth(levels, true, 1) ?? Nth(levels, true, 0) ?? levels[0]).Id;
            else if (sent.Equals("warning", StringComparison.OrdinalIgnoreCase)) byName = (Nth(levels, false, 0) ?? levels[^1]).Id;
            else if (sent.Equals("info", StringComparison.OrdinalIgnoreCase)) byName = levels[^1].Id;
        }
        if (byName is not null) return byName;
        if (sent is not null && levels.Any(s => s.Id == sent)) return sent;
        return integration.Severity ?? levels[^1].Id;
    }

    /// <summary>The <paramref name="n"/>th level (from 0, most severe first) that pages, or that does not.</summary>
    private static Severity? Nth(IReadOnlyList<Severity> levels, bool page, int n)
    {
        foreach (var level in levels)
        {
            if (level.Page == page && n-- == 0) return level;
        }
        return null;
    }
}

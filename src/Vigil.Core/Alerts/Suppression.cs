using System.Text.RegularExpressions;
using Vigil.Core.Workspace;

namespace Vigil.Core.Alerts;

/// <summary>One matcher of a silence, Alertmanager's shape: a label equal to (or matching, or not) a value.</summary>
/// <param name="Name">The label: <c>service</c>, <c>check</c>, <c>severity</c>, <c>dedup_key</c>, or an integration's own label.</param>
/// <param name="Value">The value, or with <paramref name="IsRegex"/> a regular expression that must match the whole value.</param>
/// <param name="IsRegex">Whether <paramref name="Value"/> is a regular expression.</param>
/// <param name="IsEqual">False negates the matcher (<c>!=</c>, <c>!~</c>).</param>
public sealed record SilenceMatcher(string Name, string Value, bool IsRegex = false, bool IsEqual = true)
{
    private static readonly TimeSpan RegexBudget = TimeSpan.FromMilliseconds(100);

    /// <summary>Whether the matcher holds for the labels; a missing label is the empty string, as in Alertmanager.</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        var value = labels.TryGetValue(Name, out var v) ? v : "";
        var match = IsRegex ? Anchored(Value).IsMatch(value) : value == Value;
        return match == IsEqual;
    }

    /// <summary>Why the matcher cannot be used, or null: an empty name, or a regular expression that does not compile.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(Name)) return "a matcher needs a label `name` (service, check, severity, dedup_key …)";
        if (!IsRegex) return null;
        try
        {
            _ = Anchored(Value);
            return null;
        }
        catch (ArgumentException e)
        {
            return $"`{Value}` is not a regular expression: {e.Message}";
        }
    }

    private static Regex Anchored(string pattern) => new($"^(?:{pattern})$", RegexOptions.CultureInvariant, RegexBudget);
}

/// <summary>What keeps an alert from paging: a maintenance window of its service, or a silence whose matchers all hold.</summary>
public static class Suppression
{
    /// <summary>The service's maintenance window open at <paramref name="at"/> (opened by its cron at most <c>duration</c> before), if any.</summary>
    public static MaintenanceWindow? OpenWindow(WorkspaceModel w, string? serviceId, DateTimeOffset at)
    {
        if (serviceId is null) return null;
        foreach (var window in w.Maintenance.Windows)
        {
            if (!window.Services.Contains(serviceId)) continue;
            var opened = Crons.Parse(window.Cron).GetOccurrences(at - window.Duration, at, Crons.FindZone(window.Timezone ?? w.Timezone), fromInclusive: false, toInclusive: true);
            if (opened.Any()) return window;
        }
        return null;
    }

    /// <summary>Whether every matcher holds (a silence without matchers silences nothing).</summary>
    public static bool Matches(IReadOnlyList<SilenceMatcher> matchers, IReadOnlyDictionary<string, string> labels) =>
        matchers.Count > 0 && matchers.All(m => m.Matches(labels));
}

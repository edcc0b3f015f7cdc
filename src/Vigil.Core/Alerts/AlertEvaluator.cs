using Vigil.Core.Checks;
using Vigil.Core.Workspace;

namespace Vigil.Core.Alerts;

/// <summary>
/// A check's progress towards firing or recovering its alert. It is stored with the check's state, so a restart
/// neither re-fires an alert that is firing nor forgets one that is half-way (<c>after</c> counts, a <c>for</c>
/// clock that started before the restart).
/// </summary>
/// <param name="Firing">Whether the alert has fired and not yet recovered.</param>
/// <param name="Bad">Consecutive results that count as failing for the rule (<c>on: down</c> or <c>on: degraded</c>).</param>
/// <param name="Good">Consecutive results that do not.</param>
/// <param name="BadSince">When the current run of failing results began.</param>
public readonly record struct AlertProgress(bool Firing, int Bad, int Good, DateTimeOffset? BadSince)
{
    public static readonly AlertProgress None = new(false, 0, 0, null);
}

/// <summary>What a result did to a check's alert.</summary>
public enum AlertTransition
{
    None,
    Fire,
    Resolve,
}

/// <summary>
/// The alert state machine of a check: fire after <c>after</c> consecutive failing results (or once failing for
/// <c>for</c>), resolve after <c>recover_after</c> consecutive passing ones. Between the two nothing happens, so a
/// flapping check neither pages twice nor resolves on one lucky result.
/// </summary>
public static class AlertEvaluator
{
    /// <summary>Whether a status counts as failing for the rule: down always; degraded too with <c>on: degraded</c>.</summary>
    public static bool IsFailing(AlertRule rule, CheckStatus status) =>
        status == CheckStatus.Down || (rule.On == AlertOn.Degraded && status == CheckStatus.Degraded);

    /// <summary>The progress after one more result, and whether it fired or resolved the alert.</summary>
    /// <remarks>Without a rule (none, or removed by a reload) a firing alert resolves: nothing watches it any more.</remarks>
    public static (AlertProgress Next, AlertTransition Transition) Next(AlertRule? rule, AlertProgress progress, CheckStatus status, DateTimeOffset at)
    {
        if (rule is null) return (AlertProgress.None, progress.Firing ? AlertTransition.Resolve : AlertTransition.None);
        if (status == CheckStatus.Unknown) return (progress, AlertTransition.None);
        if (IsFailing(rule, status))
        {
            var since = progress.BadSince ?? at;
            var next = new AlertProgress(progress.Firing, progress.Bad + 1, 0, since);
            var due = rule.For is { } duration ? at - since >= duration : next.Bad >= rule.After;
            return !progress.Firing && due ? (next with { Firing = true }, AlertTransition.Fire) : (next, AlertTransition.None);
        }
        var passing = new AlertProgress(progress.Firing, 0, progress.Good + 1, null);
        return progress.Firing && passing.Good >= rule.RecoverAfter
            ? (passing with { Firing = false }, AlertTransition.Resolve)
            : (passing, AlertTransition.None);
    }

    /// <summary>
    /// The dedup key of a check's alert: the rule's template with <c>{service}</c>, <c>{check}</c> and
    /// <c>{severity}</c> filled in; <c>service/check</c> by default.
    /// </summary>
    public static string DedupKey(AlertRule rule, string service, string check) =>
        (rule.DedupKey ?? "{service}/{check}").Replace("{service}", service).Replace("{check}", check).Replace("{severity}", rule.Severity);
}

/// <summary>A check's alert fired or resolved on <paramref name="Result"/>; <paramref name="Rule"/> is null when a reload removed it.</summary>
public sealed record CheckAlertChange(string ServiceId, string CheckId, AlertRule? Rule, AlertTransition Transition, CheckResult Result);

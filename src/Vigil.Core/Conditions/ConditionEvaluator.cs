using System.Collections.Concurrent;
using Vigil.Core.Checks;
using Vigil.Core.Workspace;

namespace Vigil.Core.Conditions;

/// <summary>
/// The verdict on an observation: a probe error or a built-in failure is down; otherwise all
/// <c>conditions</c> must hold (else down), then all <c>warn</c> conditions (else degraded).
/// Thread-safe; conditions are parsed once per distinct text and cached.
/// </summary>
public sealed class ConditionEvaluator : ICheckEvaluator
{
    // Bounded so a workspace reloaded many times with changing texts cannot grow it forever.
    private const int MaxCached = 100_000;
    private readonly ConcurrentDictionary<string, Parsed> cache = new(StringComparer.Ordinal);

    private sealed record Parsed(Condition? Condition, ConditionError? Error);

    public CheckOutcome Evaluate(Check check, Observation observation)
    {
        ArgumentNullException.ThrowIfNull(check);
        ArgumentNullException.ThrowIfNull(observation);
        var conditions = check.Conditions.Select(Get).ToArray();
        var warns = check.Warn.Select(Get).ToArray();

        if (observation.Error is { } error && !conditions.Any(c => c.Condition?.TestsDisconnected == true))
        {
            return new CheckOutcome(CheckStatus.Down, error, []);
        }

        var outcomes = new List<ConditionOutcome>(conditions.Length + warns.Length);
        using (var view = new ObservationView(observation))
        {
            for (var i = 0; i < conditions.Length; i++) outcomes.Add(Run(conditions[i], check.Conditions[i].Text, view, warn: false));
            for (var i = 0; i < warns.Length; i++) outcomes.Add(Run(warns[i], check.Warn[i].Text, view, warn: true));
        }

        if (observation.BuiltInFailures.Count > 0)
        {
            return new CheckOutcome(CheckStatus.Down, string.Join("; ", observation.BuiltInFailures), outcomes);
        }
        var failed = outcomes.Where(o => !o.Ok && !o.Warn).ToList();
        if (failed.Count > 0) return new CheckOutcome(CheckStatus.Down, Summary(failed), outcomes);
        var warned = outcomes.Where(o => !o.Ok && o.Warn).ToList();
        if (warned.Count > 0) return new CheckOutcome(CheckStatus.Degraded, Summary(warned), outcomes);
        var message = outcomes.Count switch
        {
            0 => "ok (no conditions)",
            1 => "the condition holds",
            _ => $"all {outcomes.Count} conditions hold",
        };
        return new CheckOutcome(CheckStatus.Up, message, outcomes);
    }

    private static string Summary(List<ConditionOutcome> failed) =>
        failed.Count == 1 ? failed[0].Message : $"{failed[0].Message} and {failed.Count - 1} more";

    private static ConditionOutcome Run(Parsed p, string text, ObservationView view, bool warn) =>
        p.Condition is { } c
            ? c.Evaluate(view, warn)
            : new ConditionOutcome(text, false, $"{text.Trim()}: cannot be evaluated: {p.Error!.Message}", warn);

    private Parsed Get(ConditionText text)
    {
        if (cache.TryGetValue(text.Text, out var hit)) return hit;
        var parsed = Condition.TryParse(text.Text, out var c, out var e) ? new Parsed(c, null) : new Parsed(null, e);
        if (cache.Count >= MaxCached) cache.Clear();
        cache[text.Text] = parsed;
        return parsed;
    }
}

/// <summary>Which placeholders each kind of check fills.</summary>
public static class PlaceholderSupport
{
    private static readonly Placeholder[] None = [];

    /// <summary>The placeholders a check of this kind (and spec: <c>[CERTIFICATE_EXPIRATION]</c> only for https) fills.</summary>
    public static IReadOnlyList<Placeholder> FilledBy(CheckKind kind, CheckSpec? spec = null) => kind switch
    {
        CheckKind.Http => spec is HttpCheckSpec h && !h.Url.StartsWith("https:", StringComparison.OrdinalIgnoreCase)
            ? [Placeholder.Status, Placeholder.Body, Placeholder.Header, Placeholder.ResponseTime, Placeholder.Connected, Placeholder.Ip]
            : [Placeholder.Status, Placeholder.Body, Placeholder.Header, Placeholder.ResponseTime, Placeholder.Connected, Placeholder.Ip, Placeholder.CertificateExpiration],
        CheckKind.Tcp => [Placeholder.Connected, Placeholder.ResponseTime, Placeholder.Ip, Placeholder.Body],
        CheckKind.Dns => [Placeholder.DnsRcode, Placeholder.Body, Placeholder.Ip, Placeholder.ResponseTime, Placeholder.Connected],
        CheckKind.Tls => [Placeholder.CertificateExpiration, Placeholder.Connected, Placeholder.ResponseTime, Placeholder.Ip],
        CheckKind.Postgres => [Placeholder.Connected, Placeholder.ResponseTime, Placeholder.Value, Placeholder.Body],
        CheckKind.Redis => [Placeholder.Connected, Placeholder.ResponseTime, Placeholder.Body, Placeholder.Value],
        CheckKind.Sql => [Placeholder.Value, Placeholder.ResponseTime, Placeholder.Connected],
        CheckKind.Command => [Placeholder.Status, Placeholder.Body, Placeholder.ResponseTime, Placeholder.Value],
        CheckKind.Disk => [Placeholder.Value, Placeholder.ResponseTime],
        CheckKind.File => [Placeholder.Value, Placeholder.ResponseTime],
        _ => None,
    };
}

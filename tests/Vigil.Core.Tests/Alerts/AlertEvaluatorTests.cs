using Vigil.Core.Alerts;
using Vigil.Core.Checks;
using Vigil.Core.Workspace;

namespace Vigil.Core.Tests.Alerts;

public sealed class AlertEvaluatorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 3, 0, 0, TimeSpan.Zero);
    private static readonly SourcePosition At = new("vigil.yaml", 1, 1);

    private static AlertRule Rule(int after = 2, int recoverAfter = 1, TimeSpan? @for = null, AlertOn on = AlertOn.Down) =>
        new() { Severity = "P1", After = after, RecoverAfter = recoverAfter, For = @for, On = on, Position = At };

    /// <summary>Feeds statuses one a minute and returns the transitions, as "F" (fire), "R" (resolve) or ".".</summary>
    private static string Run(AlertRule? rule, string statuses, AlertProgress? start = null)
    {
        var p = start ?? AlertProgress.None;
        var seen = "";
        for (var i = 0; i < statuses.Length; i++)
        {
            var status = statuses[i] switch { 'u' => CheckStatus.Up, 'd' => CheckStatus.Down, 'g' => CheckStatus.Degraded, _ => CheckStatus.Unknown };
            (p, var t) = AlertEvaluator.Next(rule, p, status, T0.AddMinutes(i));
            seen += t switch { AlertTransition.Fire => "F", AlertTransition.Resolve => "R", _ => "." };
        }
        return seen;
    }

    [Fact]
    public void Fires_after_n_consecutive_failures_and_resolves_after_m_successes()
    {
        Assert.Equal(".F.R.", Run(Rule(after: 2), "ddduu"));
        Assert.Equal("..F.R", Run(Rule(after: 3, recoverAfter: 2), "ddduu"));
    }

    [Fact]
    public void Flapping_neither_fires_below_after_nor_resolves_below_recover_after()
    {
        Assert.Equal("........", Run(Rule(after: 2), "dudududu"));
        // Fired once; one passing result between failures does not resolve it, so it does not fire again.
        Assert.Equal(".F......", Run(Rule(after: 2, recoverAfter: 2), "ddududud"));
    }

    [Fact]
    public void A_trigger_after_recovery_fires_again()
    {
        Assert.Equal(".F.R.F", Run(Rule(after: 2, recoverAfter: 2), "dduudd"));
    }

    [Fact]
    public void For_fires_once_failing_for_the_duration_whatever_the_count()
    {
        // One result a minute: the failing run starts at minute 0 and lasts 3 minutes at minute 3.
        Assert.Equal("...F.", Run(Rule(@for: TimeSpan.FromMinutes(3)), "ddddd"));
        // A passing result restarts the clock.
        Assert.Equal("......", Run(Rule(@for: TimeSpan.FromMinutes(3)), "dduddd"));
    }

    [Fact]
    public void A_restart_mid_for_keeps_the_clock_that_started_before_it()
    {
        // Progress as stored before a restart: failing since minute -2.
        var stored = new AlertProgress(false, 2, 0, T0.AddMinutes(-2));
        Assert.Equal(".F", Run(Rule(@for: TimeSpan.FromMinutes(3)), "dd", stored));
        // And an alert that fired before the restart does not fire again.
        Assert.Equal("....", Run(Rule(after: 1), "dddd", new AlertProgress(true, 5, 0, T0.AddMinutes(-5))));
    }

    [Fact]
    public void On_degraded_counts_degraded_results_as_failing_and_on_down_does_not()
    {
        Assert.Equal(".F.R", Run(Rule(after: 2, on: AlertOn.Degraded), "gdgu"));
        Assert.Equal("....", Run(Rule(after: 2), "gggg"));
    }

    [Fact]
    public void Unknown_results_change_nothing_and_a_removed_rule_resolves_a_firing_alert()
    {
        Assert.Equal("..F", Run(Rule(after: 2), "d?d"));
        Assert.Equal("R.", Run(null, "dd", new AlertProgress(true, 3, 0, T0)));
        Assert.Equal("..", Run(null, "dd"));
    }

    [Fact]
    public void Dedup_key_fills_the_template_or_defaults_to_service_slash_check()
    {
        Assert.Equal("backend/health", AlertEvaluator.DedupKey(Rule(), "backend", "health"));
        Assert.Equal("backend/database-P1", AlertEvaluator.DedupKey(Rule() with { DedupKey = "{service}/database-{severity}" }, "backend", "health"));
    }
}

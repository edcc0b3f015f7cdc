using System.Collections.Concurrent;
using Vigil.Core.Workspace;

namespace Vigil.Core.Checks.Engine;

/// <summary>One run of one check: what the probe saw (null when it timed out or threw), the verdict, and the result.</summary>
public sealed record CheckRun(CheckResult Result, Observation? Observation, CheckOutcome Outcome);

/// <summary>
/// Runs one check once: probe, then evaluator, with the check's timeout enforced. The scheduler uses it for every
/// slot; <c>vigil check</c> can use it to run a check by hand.
/// </summary>
public sealed class CheckRunner(IReadOnlyDictionary<CheckKind, ICheckProbe> probes, ICheckEvaluator evaluator, TimeProvider time, string workspaceDirectory)
{
    // Probes abandoned at their timeout that have not returned yet, one per check at most.
    private readonly ConcurrentDictionary<(string Service, string Check), Task> abandoned = new();
    private readonly ProbeContext context = new(workspaceDirectory, time);

    /// <summary>Whether a probe is registered for <paramref name="kind"/>.</summary>
    public bool CanRun(CheckKind kind) => probes.ContainsKey(kind);

    /// <summary>Whether a run of <paramref name="kind"/> may start on the caller's thread (see <see cref="ICheckProbe.StartsWithoutBlocking"/>).</summary>
    public bool StartsWithoutBlocking(CheckKind kind) => probes.TryGetValue(kind, out var probe) && probe.StartsWithoutBlocking;

    /// <summary>
    /// Runs <paramref name="check"/> once. Never throws for a failing target, a probe that throws or hangs, or an
    /// evaluator that throws: those become a <see cref="CheckStatus.Down"/> result saying why. At the check's
    /// timeout the probe's token is cancelled and the probe is abandoned even if it ignores the token, so a hung
    /// probe costs a task, never a scheduler slot or another check's time. While an abandoned probe of a check has
    /// not returned, the check's runs are down without starting another, so hung probes (and any threads they
    /// block, such as a stat on a dead network mount) never pile up.
    /// </summary>
    public async Task<CheckRun> RunAsync(string serviceId, Check check, DateTimeOffset? slot, CancellationToken ct)
    {
        if (!probes.TryGetValue(check.Kind, out var probe))
        {
            throw new InvalidOperationException($"no probe is registered for {check.Kind} checks");
        }
        var at = time.GetUtcNow();
        var key = (serviceId, check.Id);
        // A returned probe leaves the map by its own continuation; only a still-running one blocks a new start.
        if (abandoned.TryGetValue(key, out var hung) && !hung.IsCompleted)
        {
            var stillHung = new CheckOutcome(CheckStatus.Down, "the previous probe is still running after its timeout; no new probe starts until it returns", []);
            return Finish(serviceId, check, at, slot, stillHung, null, TimeSpan.Zero);
        }
        var started = time.GetTimestamp();
        Observation? observation = null;
        string? failure = null;
        // One source for both ends of a run, its timeout and the engine stopping (a registration, not a linked source).
        using var timeout = new CancellationTokenSource(check.Timeout, time);
        using var stopping = ct.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), timeout);
        Task<Observation>? probing = null;
        try
        {
            probing = probe.ProbeAsync(check, context, timeout.Token);
            // Waiting on the token (not on a second timer) abandons a probe that ignores it at the same instant.
            observation = await probing.WaitAsync(timeout.Token).ConfigureAwait(false);
            if (timeout.IsCancellationRequested && !ct.IsCancellationRequested) failure = TimedOut(check);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            failure = TimedOut(check);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            failure = $"probe failed: {e.Message}";
        }
        finally
        {
            if (probing is { IsCompleted: false })
            {
                // Remembered until it returns; observed so a late fault never surfaces as an unobserved exception.
                abandoned[key] = probing;
                _ = probing.ContinueWith(t =>
                {
                    _ = t.Exception;
                    abandoned.TryRemove(new KeyValuePair<(string, string), Task>(key, t));
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        var elapsed = time.GetElapsedTime(started);

        CheckOutcome outcome;
        if (failure is not null || observation is null)
        {
            observation = null;
            outcome = new CheckOutcome(CheckStatus.Down, failure ?? "probe returned nothing", []);
        }
        else
        {
            try
            {
                outcome = evaluator.Evaluate(check, observation);
            }
            catch (Exception e)
            {
                outcome = new CheckOutcome(CheckStatus.Down, $"conditions could not be evaluated: {e.Message}", []);
            }
        }

        var latency = observation is not null && observation.ResponseTime > TimeSpan.Zero ? observation.ResponseTime : elapsed;
        return Finish(serviceId, check, at, slot, outcome, observation, latency);
    }

    private static CheckRun Finish(string serviceId, Check check, DateTimeOffset at, DateTimeOffset? slot, CheckOutcome outcome, Observation? observation, TimeSpan latency) =>
        new(new CheckResult(serviceId, check.Id, check.Kind, at, outcome.Status, latency.TotalMilliseconds, outcome.Message, observation?.Value, slot), observation, outcome);

    /// <summary>Probes abandoned at their timeout and still running (for tests and diagnostics).</summary>
    public int Abandoned => abandoned.Count;

    private static string TimedOut(Check check) => $"timed out after {Durations.Format(check.Timeout)}";
}

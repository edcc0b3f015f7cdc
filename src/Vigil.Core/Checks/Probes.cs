using Vigil.Core.Workspace;

namespace Vigil.Core.Checks;

/// <summary>What a probe may use besides its check: the workspace folder (relative paths) and the clock.</summary>
public sealed record ProbeContext(string WorkspaceDirectory, TimeProvider Time);

/// <summary>
/// Runs one kind of check once and reports what it saw. A probe never throws for a failing
/// target: refusals, timeouts and protocol errors go into <see cref="Observation.Error"/>.
/// It honours the cancellation token, which the engine cancels at the check's timeout.
/// </summary>
public interface ICheckProbe
{
    CheckKind Kind { get; }

    /// <summary>
    /// True when <see cref="ProbeAsync"/> never blocks its caller before its first wait (sockets only: no process
    /// start, file system or in-process database call). The scheduler then starts such runs from its own loop, one
    /// after another, instead of queueing a thread-pool item for each: at 100 probes a second, waking pool threads
    /// costs more CPU than the probes' own work. A probe that may block keeps the default and runs on the pool, so it
    /// never delays another check's start.
    /// </summary>
    bool StartsWithoutBlocking => false;

    Task<Observation> ProbeAsync(Check check, ProbeContext context, CancellationToken ct);
}

/// <summary>The status of a check or service.</summary>
public enum CheckStatus
{
    Unknown,
    Up,
    Degraded,
    Down,
}

/// <summary>One condition's verdict: <c>[STATUS] (503) == 200</c> with the values seen.</summary>
/// <param name="Condition">The condition as written.</param>
/// <param name="Ok">Whether it held.</param>
/// <param name="Message">The condition with the values seen substituted, plus why it could not be evaluated if so.</param>
/// <param name="Warn">True for a <c>warn</c> condition (failing makes the check degraded, not down).</param>
public sealed record ConditionOutcome(string Condition, bool Ok, string Message, bool Warn);

/// <summary>The verdict on one observation: status, a one-line message saying why, and each condition's outcome.</summary>
public sealed record CheckOutcome(CheckStatus Status, string Message, IReadOnlyList<ConditionOutcome> Conditions);

/// <summary>Turns an observation into a verdict by the check's conditions (all must hold, else down) and warn conditions (else degraded).</summary>
public interface ICheckEvaluator
{
    CheckOutcome Evaluate(Check check, Observation observation);
}

using Vigil.Core.Workspace;

namespace Vigil.Core.Checks;

/// <summary>
/// One check run's result, as the engine records it. <c>ScheduledFor</c> is the slot the run belonged
/// to (null for pushes such as heartbeat pings); schedule lag = start − slot.
/// </summary>
public sealed record CheckResult(
    string ServiceId,
    string CheckId,
    CheckKind Kind,
    DateTimeOffset At,
    CheckStatus Status,
    double LatencyMs,
    string Message,
    double? Value,
    DateTimeOffset? ScheduledFor);

/// <summary>Where results go: the batching writer.</summary>
public interface ICheckResultSink
{
    /// <summary>Queues a result; awaiting returns once it is queued, not once it is stored.</summary>
    ValueTask PublishAsync(CheckResult result, CancellationToken ct);

    /// <summary>
    /// Queues a result, in order with <see cref="PublishAsync"/>, to be stored without waiting for a fuller batch; awaiting
    /// returns once it is queued, with a task that completes when the result is committed together with the state, alert
    /// and incident changes it makes, or faults when it could not be stored. For a pushed result whose sender is answered
    /// only once it is on record (a heartbeat ping).
    /// </summary>
    ValueTask<Task> PublishCommittedAsync(CheckResult result, CancellationToken ct);
}

/// <summary>A check moved from one status to another; published in-process for the alerting engine.</summary>
public sealed record CheckStateChange(string ServiceId, string CheckId, CheckStatus Previous, CheckStatus Current, CheckResult Result);

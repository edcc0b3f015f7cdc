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

/// <summary>Where results go: the batching writer. Awaiting returns once the result is queued, not once it is stored.</summary>
public interface ICheckResultSink
{
    ValueTask PublishAsync(CheckResult result, CancellationToken ct);
}

/// <summary>A check moved from one status to another; published in-process for the alerting engine.</summary>
public sealed record CheckStateChange(string ServiceId, string CheckId, CheckStatus Previous, CheckStatus Current, CheckResult Result);

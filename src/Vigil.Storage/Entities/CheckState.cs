namespace Vigil.Storage;

/// <summary>
/// The current state of one check, one row per check. It carries the threshold counters across restarts
/// and, with several instances, which instance runs the check (<see cref="OwnerInstance"/> until <see cref="LeaseUntil"/>).
/// </summary>
public sealed class CheckState
{
    public required string ServiceId { get; set; }

    public required string CheckId { get; set; }

    /// <summary><c>up</c>, <c>degraded</c>, <c>down</c> or <c>unknown</c>.</summary>
    public required string Status { get; set; }

    public DateTimeOffset? LastCheckedAt { get; set; }

    public double? LatencyMs { get; set; }

    public string? Message { get; set; }

    public int ConsecutiveFailures { get; set; }

    public int ConsecutiveSuccesses { get; set; }

    /// <summary>When the current run of failures began; drives <c>alert.for</c> durations.</summary>
    public DateTimeOffset? FailingSince { get; set; }

    /// <summary>Whether the check's alert has fired and not yet recovered.</summary>
    public bool AlertFiring { get; set; }

    /// <summary>Consecutive results that count as failing for the alert rule (<c>on: down|degraded</c>).</summary>
    public int AlertFailures { get; set; }

    /// <summary>Consecutive results that count as passing for the alert rule.</summary>
    public int AlertSuccesses { get; set; }

    /// <summary>When the current run of results failing the alert rule began; drives <c>alert.for</c>.</summary>
    public DateTimeOffset? AlertFailingSince { get; set; }

    public string? OwnerInstance { get; set; }

    public DateTimeOffset? LeaseUntil { get; set; }

    public DateTimeOffset? NextRunAt { get; set; }
}

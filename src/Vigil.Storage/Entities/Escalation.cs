namespace Vigil.Storage;

/// <summary>
/// The next due step of an incident's escalation policy. The row is the timer: a worker claims it
/// (<see cref="ClaimedBy"/> until <see cref="ClaimedUntil"/>) when <see cref="DueAt"/> passes, so escalation
/// survives restarts and is not run twice by two instances.
/// </summary>
public sealed class Escalation
{
    public long Id { get; set; }

    public long IncidentId { get; set; }

    public required string PolicyId { get; set; }

    public int StepIndex { get; set; }

    /// <summary>How many times the policy has wrapped around (policy <c>repeat</c>).</summary>
    public int RepeatCount { get; set; }

    /// <summary><c>pending</c>, <c>done</c> or <c>cancelled</c>.</summary>
    public required string State { get; set; }

    public DateTimeOffset DueAt { get; set; }

    public string? ClaimedBy { get; set; }

    public DateTimeOffset? ClaimedUntil { get; set; }
}

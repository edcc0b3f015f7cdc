namespace Vigil.Storage;

/// <summary>A temporary on-call swap: <see cref="UserId"/> covers the schedule from <see cref="StartsAt"/> to <see cref="EndsAt"/>.</summary>
public sealed class ScheduleOverride
{
    public long Id { get; set; }

    public required string ScheduleId { get; set; }

    public required string UserId { get; set; }

    public DateTimeOffset StartsAt { get; set; }

    public DateTimeOffset EndsAt { get; set; }

    public required string CreatedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public string? Reason { get; set; }
}

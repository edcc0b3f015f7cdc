namespace Vigil.Storage;

/// <summary>One occurrence of a recurring maintenance task; unique per task and due time, so a cron tick creates it once.</summary>
public sealed class MaintenanceRun
{
    public long Id { get; set; }

    public required string TaskId { get; set; }

    public DateTimeOffset DueAt { get; set; }

    /// <summary><c>due</c>, <c>done</c>, <c>overdue</c> or <c>skipped</c>.</summary>
    public required string State { get; set; }

    /// <summary>The checklist items and their ticks as JSON text.</summary>
    public string? Checklist { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    public string? CompletedBy { get; set; }

    public string? Note { get; set; }
}

namespace Vigil.Storage;

/// <summary>
/// A runbook step followed by a responder: marked done, skipped or failed, or executed by Vigil with its output captured.
/// </summary>
public sealed class StepExecution
{
    public long Id { get; set; }

    /// <summary>The incident the step was taken for; null when a runbook is walked outside an incident (e.g. maintenance).</summary>
    public long? IncidentId { get; set; }

    public required string RunbookPath { get; set; }

    public required string Section { get; set; }

    public int StepIndex { get; set; }

    /// <summary><c>pending</c>, <c>running</c>, <c>done</c>, <c>skipped</c> or <c>failed</c>.</summary>
    public required string State { get; set; }

    public string? Command { get; set; }

    /// <summary><c>read_only</c>, <c>mutating</c> or <c>destructive</c>.</summary>
    public string? Risk { get; set; }

    public int? ExitCode { get; set; }

    /// <summary>Captured stdout and stderr, bounded by the executor.</summary>
    public string? Output { get; set; }

    public string? Note { get; set; }

    public required string Actor { get; set; }

    /// <summary>The user who confirmed a destructive step.</summary>
    public string? ConfirmedBy { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }
}

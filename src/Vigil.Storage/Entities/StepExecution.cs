namespace Vigil.Storage;

/// <summary>
/// A runbook step taken for an incident: marked complete, skipped or failed by a responder (<see cref="Kind"/>
/// <c>mark</c>), or run by Vigil with its output captured (<c>run</c>, also called an execution). A step's state is its
/// latest row.
/// </summary>
public sealed class StepExecution
{
    public long Id { get; set; }

    /// <summary>The incident the step was taken for; null when a runbook is walked outside an incident (e.g. maintenance).</summary>
    public long? IncidentId { get; set; }

    public required string RunbookPath { get; set; }

    /// <summary>The anchor of the incident's linked section.</summary>
    public required string Section { get; set; }

    /// <summary>The step's id (<c>3-1a2b3c4d</c>), stable while the runbook is unchanged.</summary>
    public required string StepId { get; set; }

    public required string StepTitle { get; set; }

    /// <summary><c>mark</c> or <c>run</c>.</summary>
    public required string Kind { get; set; }

    /// <summary>
    /// For a mark: <c>done</c>, <c>skipped</c> or <c>failed</c>. For a run: <c>running</c>, then <c>succeeded</c>,
    /// <c>failed</c> (non-zero exit or could not start), <c>timed_out</c>, <c>canceled</c> or <c>interrupted</c> (Vigil
    /// stopped while it ran).
    /// </summary>
    public required string State { get; set; }

    /// <summary>The script as run, parameters filled in and secrets redacted.</summary>
    public string? Command { get; set; }

    /// <summary><c>read-only</c>, <c>mutating</c> or <c>destructive</c>.</summary>
    public string? Risk { get; set; }

    /// <summary>The parameters given, as a JSON object, secrets redacted.</summary>
    public string? Parameters { get; set; }

    /// <summary>Why a destructive (or any) step was run, as the runner wrote it.</summary>
    public string? Reason { get; set; }

    public int? ExitCode { get; set; }

    /// <summary>Captured stdout and stderr, merged, redacted, bounded by the workspace's <c>output_limit</c>.</summary>
    public string? Output { get; set; }

    public bool OutputTruncated { get; set; }

    public string? Note { get; set; }

    public required string Actor { get; set; }

    /// <summary>The instance running the step, so a restart can tell its own interrupted runs.</summary>
    public string? Instance { get; set; }

    /// <summary>Set by a cancel that reached another instance; the running one sees it and kills the run.</summary>
    public bool CancelRequested { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>When a run still <c>running</c> must have ended (start + timeout); past it by a margin, it was lost.</summary>
    public DateTimeOffset? Deadline { get; set; }
}

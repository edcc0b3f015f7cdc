namespace Vigil.Core.Workspace;

/// <summary>A place in a workspace file, 1-based, as editors count.</summary>
public readonly record struct SourcePosition(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>
/// One problem found in a workspace: where it is, what is wrong, and how to fix it.
/// Printed as <c>vigil.yaml:LINE:COL: message (hint)</c> so editors and CI can jump to it.
/// </summary>
public sealed record WorkspaceError(SourcePosition Position, string Message, string? Hint = null)
{
    public override string ToString() =>
        Hint is null ? $"{Position}: {Message}" : $"{Position}: {Message} ({Hint})";
}

/// <summary>Thrown by CLI paths that need a valid workspace; carries every error found.</summary>
public sealed class WorkspaceInvalidException(IReadOnlyList<WorkspaceError> errors)
    : Exception($"the workspace has {errors.Count} error(s):{Environment.NewLine}{string.Join(Environment.NewLine, errors)}")
{
    public IReadOnlyList<WorkspaceError> Errors { get; } = errors;
}

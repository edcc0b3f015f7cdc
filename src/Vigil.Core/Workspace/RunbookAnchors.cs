using Vigil.Runbooks;

namespace Vigil.Core.Workspace;

/// <summary>
/// The section anchors of a Markdown runbook, as GitHub derives them from headings (lower case, punctuation dropped,
/// spaces to '-', repeats numbered), so that a link copied from the rendered runbook is a valid reference in
/// vigil.yaml. The runbook engine (<see cref="RunbookParser"/>) reads the headings.
/// </summary>
public static class RunbookAnchors
{
    public static HashSet<string> Read(string markdownFile) => FromText(File.ReadAllText(markdownFile));

    public static HashSet<string> FromText(string markdown) => [.. RunbookParser.Parse(markdown).Anchors];
}

using Markdig;
using Markdig.Renderers.Html;
using Markdig.Syntax;

namespace Vigil.Runbooks;

/// <summary>A runbook rendered to HTML for the API and the dashboard.</summary>
public static class RunbookHtml
{
    // Raw HTML in a runbook is shown as text, never passed through: the page is served by Vigil to logged-in
    // responders, and a runbook is not trusted to carry script.
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseTaskLists().UseAutoLinks().DisableHtml().Build();

    /// <summary>
    /// Renders <paramref name="markdown"/>; every heading gets the anchor of its section in <paramref name="model"/> as
    /// its <c>id</c>, so <c>#service-down</c> links (the incident's, the runbook's own table of contents) land on it.
    /// </summary>
    public static string Render(string markdown, Runbook model)
    {
        var anchors = new Dictionary<int, string>();
        foreach (var s in model.AllSections()) anchors.TryAdd(s.Line, s.Anchor);
        var doc = Markdown.Parse(markdown ?? "", Pipeline);
        foreach (var h in doc.Descendants<HeadingBlock>())
        {
            if (anchors.TryGetValue(h.Line + 1, out var anchor)) h.GetAttributes().Id = anchor;
        }
        return doc.ToHtml(Pipeline);
    }
}

using System.Text;

namespace Vigil.Core.Workspace;

/// <summary>
/// The section anchors of a Markdown runbook, as GitHub derives them from headings
/// (lower case, punctuation dropped, spaces to '-', repeats numbered), so that a link
/// copied from the rendered runbook is a valid reference in vigil.yaml.
/// </summary>
public static class RunbookAnchors
{
    public static HashSet<string> Read(string markdownFile) => FromText(File.ReadAllText(markdownFile));

    public static HashSet<string> FromText(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        string? fence = null;
        foreach (var raw in markdown.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var trimmed = line.TrimStart();
            // "# 1. Check logs" inside a ```bash block is a shell comment, not a heading.
            if (trimmed.StartsWith("```", StringComparison.Ordinal) || trimmed.StartsWith("~~~", StringComparison.Ordinal))
            {
                var marker = trimmed[..3];
                if (fence is null) fence = marker;
                else if (marker == fence) fence = null;
                continue;
            }
            if (fence is not null || line.Length - trimmed.Length > 3) continue;
            var level = 0;
            while (level < trimmed.Length && trimmed[level] == '#') level++;
            if (level is 0 or > 6 || (level < trimmed.Length && trimmed[level] != ' ')) continue;
            var slug = Slug(trimmed[level..].Trim().TrimEnd('#').Trim());
            if (counts.TryGetValue(slug, out var n))
            {
                counts[slug] = n + 1;
                anchors.Add($"{slug}-{n}");
            }
            else
            {
                counts[slug] = 1;
                anchors.Add(slug);
            }
        }
        return anchors;
    }

    public static string Slug(string heading)
    {
        var sb = new StringBuilder(heading.Length);
        foreach (var c in heading.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_') sb.Append(c);
            else if (c == ' ') sb.Append('-');
        }
        return sb.ToString();
    }
}

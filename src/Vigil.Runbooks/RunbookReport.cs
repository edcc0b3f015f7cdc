using System.Text;
using System.Text.Json;
using Vigil.Runbooks.Risk;

namespace Vigil.Runbooks;

/// <summary>A runbook's model as <c>vigil runbook show</c> prints it: JSON (snake_case; every command with its
/// <c>text</c>, <c>language</c>, <c>risk</c>, <c>reasons</c> and source <c>line</c>) or an indented text outline.</summary>
public static class RunbookReport
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static string Json(Runbook r) => JsonSerializer.Serialize(Model(r), Options);

    /// <summary>The model as plain objects (also what the API returns).</summary>
    public static object Model(Runbook r) => new
    {
        path = r.Path,
        title = r.Title,
        metadata = new
        {
            last_updated = r.Metadata.LastUpdated?.Text,
            owner = r.Metadata.Owner?.Text,
            review_cycle = r.Metadata.ReviewCycle?.Text,
            version = r.Metadata.Version?.Text,
            audience = r.Metadata.Audience?.Text,
            all = r.Metadata.All.ToDictionary(kv => kv.Key, kv => new { text = kv.Value.Text, line = kv.Value.Line }),
        },
        sections = r.Sections.Select(SectionModel),
    };

    private static object SectionModel(Section s) => new
    {
        title = s.Title,
        anchor = s.Anchor,
        level = s.Level,
        line = s.Line,
        number = s.Number,
        role = Role(s.Role),
        risk = s.Risk.Name,
        steps = s.Steps.Select(st => new
        {
            number = st.Number,
            title = st.Title,
            text = st.Text,
            line = st.Line,
            option = st.Option,
            risk = st.Risk.Name,
            reasons = st.Risk.Reasons,
            commands = st.Commands.Select(c => new { text = c.Text, language = c.Language, line = c.Line, risk = c.Risk.Name, reasons = c.Risk.Reasons, parameters = c.Parameters }),
        }),
        labels = s.Labels.Select(l => new { text = l.Text, role = Role(l.Role), line = l.Line }),
        options = s.Options.Select(o => new { label = o.Text, line = o.Line }),
        checklist = s.Checklist.Select(c => new { text = c.Text, done = c.Done, line = c.Line }),
        tables = s.Tables.Select(t => new { headers = t.Headers, rows = t.Rows, line = t.Line }),
        warnings = s.Warnings.Select(w => new { level = w.Level.ToLowerInvariant(), text = w.Text, line = w.Line }),
        links = s.Links.Select(l => new { text = l.Text, target = l.Target, line = l.Line }),
        code_blocks = s.Blocks.Select(b => new { language = b.Language, fence = b.FenceTag, line = b.Line, text = b.Text }),
        sections = s.Children.Select(SectionModel),
    };

    /// <summary>The wire name of a role: <c>symptoms</c>, <c>diagnosis</c>, …, or null.</summary>
    public static string? Role(SectionRole role) => role == SectionRole.None ? null : role.ToString().ToLowerInvariant();

    public static string Text(Runbook r)
    {
        var sb = new StringBuilder();
        sb.Append(r.Title);
        if (r.Path is not null) sb.Append("  (").Append(r.Path).Append(')');
        sb.AppendLine();
        foreach (var (key, value) in r.Metadata.All) sb.Append("  ").Append(key).Append(": ").Append(value.Text).Append("  (line ").Append(value.Line).AppendLine(")");
        foreach (var s in r.Sections) Section(sb, s, 0);
        return sb.ToString();
    }

    private static void Section(StringBuilder sb, Section s, int depth)
    {
        var pad = new string(' ', depth * 2);
        sb.AppendLine();
        sb.Append(pad).Append(new string('#', s.Level)).Append(' ').Append(s.Title).Append("  #").Append(s.Anchor);
        if (Role(s.Role) is { } role) sb.Append("  [").Append(role).Append(']');
        sb.Append("  line ").Append(s.Line).AppendLine();
        foreach (var l in s.Labels) sb.Append(pad).Append("  > ").Append(l.Text).Append(Role(l.Role) is { } lr ? $"  [{lr}]" : "").Append("  line ").Append(l.Line).AppendLine();
        foreach (var w in s.Warnings) sb.Append(pad).Append("  ! ").Append(w.Level).Append(": ").Append(OneLine(w.Text)).Append("  (line ").Append(w.Line).AppendLine(")");
        foreach (var t in s.Tables) sb.Append(pad).Append("  table: ").Append(string.Join(" | ", t.Headers)).Append(" (").Append(t.Rows.Count).Append(" rows, line ").Append(t.Line).AppendLine(")");
        foreach (var c in s.Checklist) sb.Append(pad).Append(c.Done ? "  [x] " : "  [ ] ").Append(OneLine(c.Text)).AppendLine();
        foreach (var st in s.Steps)
        {
            sb.Append(pad).Append("  ").Append(st.Number is { } n ? $"{n}. " : "- ").Append(OneLine(st.Title));
            if (st.Option is not null) sb.Append("  (").Append(st.Option).Append(')');
            sb.Append("  [").Append(st.Risk.Name).Append("]  line ").Append(st.Line).AppendLine();
            foreach (var c in st.Commands)
            {
                sb.Append(pad).Append("      $ ").Append(OneLine(c.Text)).Append("  [").Append(c.Risk.Name).Append(", ").Append(c.Language).Append(", line ").Append(c.Line).AppendLine("]");
                if (c.Risk.Class != RiskClass.ReadOnly) sb.Append(pad).Append("        ").AppendLine(string.Join("; ", c.Risk.Reasons));
                if (c.Parameters.Count > 0) sb.Append(pad).Append("        parameters: ").AppendLine(string.Join(", ", c.Parameters));
            }
        }
        foreach (var child in s.Children) Section(sb, child, depth + 1);
    }

    private static string OneLine(string text)
    {
        var one = text.ReplaceLineEndings(" ⏎ ");
        return one.Length <= 140 ? one : one[..137] + "…";
    }
}

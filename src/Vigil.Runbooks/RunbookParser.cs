using System.Text;
using System.Text.RegularExpressions;
using Markdig;
using Markdig.Extensions.Tables;
using Markdig.Extensions.TaskLists;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using Vigil.Runbooks.Risk;

namespace Vigil.Runbooks;

/// <summary>
/// Reads a Markdown runbook (Markdig) into a <see cref="Runbook"/>: title, header metadata, the tree of sections with
/// their GitHub anchors and roles, steps (numbered lists, numbered headings, commented groups in code blocks), each
/// step's commands with their language and risk, placeholders, warnings, checklists, tables and internal links. It
/// never throws, and its time grows linearly with the text.
/// </summary>
public static partial class RunbookParser
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseTaskLists().Build();

    /// <summary>Fence tags and what they are: <c>null</c> for text that is not run.</summary>
    private static readonly Dictionary<string, string> Tags = new(StringComparer.OrdinalIgnoreCase)
    {
        ["bash"] = "bash", ["sh"] = "bash", ["shell"] = "bash", ["zsh"] = "bash", ["ksh"] = "bash", ["fish"] = "bash",
        ["console"] = "console", ["shell-session"] = "console", ["terminal"] = "console", ["shellsession"] = "console",
        ["sql"] = "sql", ["psql"] = "sql", ["pgsql"] = "sql", ["postgres"] = "sql", ["postgresql"] = "sql", ["mysql"] = "sql", ["sqlite"] = "sql", ["plpgsql"] = "sql",
        ["redis"] = "redis", ["python"] = "python", ["py"] = "python", ["python3"] = "python", ["promql"] = "promql",
        ["yaml"] = "yaml", ["yml"] = "yaml", ["json"] = "json", ["toml"] = "toml", ["ini"] = "ini", ["text"] = "text", ["txt"] = "text",
        ["plaintext"] = "text", ["output"] = "text", ["log"] = "text", ["xml"] = "xml", ["javascript"] = "javascript", ["js"] = "javascript",
        ["typescript"] = "typescript", ["ts"] = "typescript", ["go"] = "go", ["ruby"] = "ruby", ["rb"] = "ruby", ["powershell"] = "powershell",
        ["ps1"] = "powershell", ["dockerfile"] = "dockerfile", ["nginx"] = "nginx", ["hcl"] = "hcl", ["terraform"] = "hcl", ["csv"] = "csv",
        ["diff"] = "diff", ["mermaid"] = "mermaid", ["markdown"] = "markdown", ["md"] = "markdown", ["cron"] = "cron", ["crontab"] = "cron",
    };

    /// <summary>Languages whose lines are commands to run.</summary>
    private static readonly HashSet<string> Runnable = new(StringComparer.Ordinal) { "bash", "console", "sql", "redis", "python", "promql", "javascript", "powershell" };

    /// <summary>Whether a block of this (detected) language is run: its lines are commands.</summary>
    public static bool IsRunnable(string language) => Runnable.Contains(language);

    public static Runbook Parse(string markdown, string? path = null)
    {
        try
        {
            return new Reader(markdown ?? "", path).Read();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Markdig and the rules above are meant never to fail; if one does, the runbook is still a (bare) runbook.
            return new Runbook(path, Path.GetFileNameWithoutExtension(path) ?? "Runbook", new RunbookMetadata(new Dictionary<string, MetadataValue>()), []);
        }
    }

    public static Runbook ParseFile(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>The GitHub anchor of a heading's text: lower case, letters, digits, '-' and '_' kept, spaces to '-'.</summary>
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

    /// <summary>What a heading says a section is for.</summary>
    public static SectionRole RoleOf(string title)
    {
        var t = title.ToLowerInvariant();
        if (OptionLabel().IsMatch(title)) return SectionRole.Option;
        (SectionRole Role, string[] Words)[] rules =
        [
            (SectionRole.Checklist, ["checklist", "check list", "pre-flight", "preflight"]),
            (SectionRole.Symptoms, ["symptom", "signs", "how to recogni", "indicator", "what you see", "alerts firing"]),
            (SectionRole.Rollback, ["rollback", "roll back", "revert", "undo"]),
            (SectionRole.Escalation, ["escalat", "contact", "on-call", "on call", "who to call", "communication"]),
            (SectionRole.Verification, ["verif", "validat", "confirm", "post-check", "smoke test", "sanity check", "check it worked"]),
            (SectionRole.Prevention, ["prevent", "avoid", "long-term", "long term", "follow-up", "follow up", "lessons", "post-mortem", "postmortem"]),
            (SectionRole.Resolution, ["resolution", "resolve", "fix", "mitigat", "remediat", "recover", "workaround", "solution", "restor", "repair", "quick action", "immediate action", "response steps"]),
            (SectionRole.Diagnosis, ["diagnos", "triage", "investigat", "troubleshoot", "debug", "identify", "root cause", "assess", "analy"]),
            (SectionRole.Reference, ["reference", "overview", "appendix", "glossary", "links", "resources", "architecture", "cheat sheet", "useful commands", "contents", "about", "introduction", "background"]),
        ];
        foreach (var (role, words) in rules)
            if (words.Any(w => t.Contains(w, StringComparison.Ordinal))) return role;
        return SectionRole.None;
    }

    /// <summary>The placeholders a command leaves to the reader: <c>YOUR_TOKEN</c>, <c>&lt;pod&gt;</c>, <c>job_id_here</c>,
    /// <c>$TOKEN</c>, <c>${VERSION}</c> (shell variables every shell has, such as <c>$HOME</c>, are not).</summary>
    public static IReadOnlyList<string> Parameters(string command)
    {
        var found = new List<string>();
        void Add(string p)
        {
            if (!found.Contains(p, StringComparer.Ordinal)) found.Add(p);
        }
        foreach (Match m in Placeholder().Matches(command))
        {
            var name = m.Groups["angle"].Success ? m.Groups["angle"].Value
                : m.Groups["var"].Success ? m.Groups["var"].Value
                : m.Value;
            if (m.Groups["var"].Success && ShellVariables.Contains(name)) continue;
            Add(name);
        }
        return found;
    }

    private static readonly HashSet<string> ShellVariables = new(StringComparer.Ordinal)
    {
        "HOME", "PATH", "USER", "PWD", "SHELL", "HOSTNAME", "LANG", "TERM", "UID", "EUID", "PPID", "RANDOM", "SECONDS", "LINENO",
        "OLDPWD", "IFS", "TMPDIR", "EDITOR", "PAGER", "LOGNAME", "BASH_SOURCE", "PIPESTATUS",
    };

    [GeneratedRegex(@"(?<![<\w])<(?<angle>[A-Za-z][\w.-]{0,40})>(?![>\w])|\$\{(?<var>[A-Z][A-Z0-9_]{1,40})(?:[:?=#%/-][^}]{0,40})?\}|\$(?<var>[A-Z][A-Z0-9_]{1,40})\b|\bYOUR[_-][A-Z0-9_-]{2,40}\b|\b[A-Za-z][A-Za-z0-9_]{0,40}_(?:here|HERE)\b|\b(?:REPLACE[_-]ME|CHANGEME|CHANGE[_-]ME|XXX+)\b", RegexOptions.CultureInvariant)]
    internal static partial Regex Placeholder();

    [GeneratedRegex(@"^\s*(?:\*\*|__)?\s*(?:Option|Approach|Alternative|Method)\s+(?:[A-Z0-9]{1,2}\b|\d+\b|one|two|three)\s*(?:[-–—:.)]|\*\*|$)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex OptionLabel();

    [GeneratedRegex(@"^\s*(?:\*\*|__)?\s*(?:⚠️|⚠|🚨|❗|\[!)?\s*(?<level>CAUTION|WARNING|DANGER|IMPORTANT|NOTE|CRITICAL|DESTRUCTIVE)\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex WarningStart();

    [GeneratedRegex(@"^\s*(?:[*_]{1,2})?(?<key>[A-Za-z][A-Za-z /-]{1,30}?)(?:[*_]{1,2})?\s*:\s*(?:[*_]{1,2})?\s*(?<value>\S.{0,200}?)\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex MetadataLine();

    [GeneratedRegex(@"^(?<n>\d{1,3})[.)]\s+(?<rest>.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex Numbered();

    [GeneratedRegex(@"^(?:step\s+)?(?<n>\d{1,3})\s*[.):-]\s*(?<rest>.+)$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex NumberedComment();

    [GeneratedRegex(@"^[\w.-]+:(?:\s+\S.*|\s*)$", RegexOptions.CultureInvariant)]
    private static partial Regex YamlKey();

    /// <summary>One pass over the document's blocks, keeping the open sections on a stack.</summary>
    private sealed class Reader(string markdown, string? path)
    {
        private readonly List<Section> roots = [];
        private readonly List<Section> open = [];
        private readonly Dictionary<string, int> slugs = new(StringComparer.Ordinal);
        private readonly Dictionary<string, MetadataValue> metadata = new(StringComparer.OrdinalIgnoreCase);
        private string? title;
        private string? option;
        private string? lastParagraph;

        private Section? Current => open.Count == 0 ? null : open[^1];

        public Runbook Read()
        {
            var doc = Markdown.Parse(markdown, Pipeline);
            foreach (var block in doc) Block(block);
            title ??= roots.FirstOrDefault()?.Title ?? (path is null ? "Runbook" : Path.GetFileNameWithoutExtension(path));
            return new Runbook(path, title, new RunbookMetadata(metadata), roots);
        }

        private void Block(Block block)
        {
            switch (block)
            {
                case HeadingBlock h:
                    Heading(h);
                    break;
                case ParagraphBlock p:
                    Paragraph(p);
                    break;
                case ListBlock list:
                    List(list);
                    break;
                case CodeBlock code:
                    Code(code, null);
                    break;
                case Table table:
                    TableBlock(table);
                    break;
                case QuoteBlock quote:
                    foreach (var inner in quote) Block(inner);
                    break;
                case ContainerBlock container:
                    foreach (var inner in container) Block(inner);
                    break;
            }
        }

        private void Heading(HeadingBlock h)
        {
            var text = Text(h.Inline, null).Trim();
            if (h.Level == 1 && title is null) title = text;
            var slug = Slug(text);
            if (slugs.TryGetValue(slug, out var n))
            {
                slugs[slug] = n + 1;
                slug = $"{slug}-{n}";
            }
            else slugs[slug] = 1;
            var numbered = Numbered().Match(text);
            var section = new Section
            {
                Title = text,
                Anchor = slug,
                Level = h.Level,
                Line = h.Line + 1,
                Number = numbered.Success ? int.Parse(numbered.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture) : null,
            };
            section.Role = RoleOf(numbered.Success ? numbered.Groups["rest"].Value : text);
            while (open.Count > 0 && open[^1].Level >= h.Level) open.RemoveAt(open.Count - 1);
            if (open.Count == 0) roots.Add(section);
            else open[^1].Children.Add(section);
            open.Add(section);
            option = null;
            lastParagraph = null;
        }

        private void Paragraph(ParagraphBlock p)
        {
            var links = new List<RunbookLink>();
            var text = Text(p.Inline, links).Trim();
            var line = p.Line + 1;
            var section = Current;
            // Document facts: "Key: value" lines at the top (before the first section below the title), or a paragraph
            // anywhere made only of such lines naming a document fact ("**Last Updated**: 2025-10-18" at the end).
            var facts = RawLines(p).Select((raw, i) => (Match: MetadataLine().Match(raw), Line: line + i)).ToList();
            var header = section is null || (section.Level == 1 && section.Children.Count == 0 && section.Steps.Count == 0);
            if (header || (facts.All(f => f.Match.Success) && facts.Any(f => DocumentFacts.Contains(Key(f.Match)))))
            {
                foreach (var (m, at) in facts.Where(f => f.Match.Success && !f.Match.Groups["key"].Value.Contains("http", StringComparison.OrdinalIgnoreCase)))
                    metadata.TryAdd(Key(m), new MetadataValue(m.Groups["value"].Value.Trim().Trim('*', '_').Trim(), at));
            }
            if (section is null) return;
            section.Links.AddRange(links);
            section.Paragraphs.Add(new MetadataValue(text, line));
            if (WarningStart().Match(text) is { Success: true } w) section.Warnings.Add(new RunbookWarning(w.Groups["level"].Value.ToUpperInvariant(), text, line));
            if (text.Length <= 60 && text.EndsWith(':') && !text.Contains('\n', StringComparison.Ordinal) && RawLines(p).First().TrimStart().StartsWith("**", StringComparison.Ordinal))
                section.Labels.Add(new SectionLabel(text.TrimEnd(':').Trim(), RoleOf(text), line));
            if (OptionLabel().IsMatch(text))
            {
                option = text.Split('\n')[0].Trim().Trim('*', '_').TrimEnd(':').Trim();
                section.Options.Add(new MetadataValue(option, line));
            }
            lastParagraph = text;
        }

        private static string Key(Match m) => m.Groups["key"].Value.Trim().Trim('*', '_').Trim();

        private static readonly HashSet<string> DocumentFacts = new(StringComparer.OrdinalIgnoreCase)
        {
            "last updated", "updated", "last reviewed", "owner", "owners", "author", "maintainer", "maintained by", "review cycle",
            "review frequency", "next review", "version", "document version", "revision", "audience", "intended audience", "status", "team",
        };

        private void List(ListBlock list)
        {
            var section = Current;
            foreach (var item in list.OfType<ListItemBlock>())
            {
                var links = new List<RunbookLink>();
                var texts = new List<string>();
                var commands = new List<RunbookCommand>();
                var inline = new List<string>();
                bool? task = null;
                foreach (var child in item)
                {
                    switch (child)
                    {
                        case ParagraphBlock p:
                            if (p.Inline?.FirstChild is TaskList t) task = t.Checked;
                            texts.Add(Text(p.Inline, links, inline).Trim());
                            if (section is not null && WarningStart().Match(texts[^1]) is { Success: true } w)
                                section.Warnings.Add(new RunbookWarning(w.Groups["level"].Value.ToUpperInvariant(), texts[^1], p.Line + 1));
                            break;
                        case CodeBlock code:
                            commands.AddRange(Code(code, item).SelectMany(g => g.Commands));
                            break;
                        case ListBlock nested when !list.IsOrdered || nested.IsOrdered:
                            List(nested);
                            break;
                        case ListBlock nested:
                            texts.AddRange(nested.OfType<ListItemBlock>().SelectMany(i => i.OfType<ParagraphBlock>()).Select(p => "- " + Text(p.Inline, links, inline).Trim()));
                            break;
                        case Table table:
                            TableBlock(table);
                            break;
                    }
                }
                if (section is null) continue;
                section.Links.AddRange(links);
                var text = string.Join('\n', texts).Trim();
                var line = item.Line + 1;
                if (task is { } done)
                {
                    section.Checklist.Add(new ChecklistItem(text, done, line));
                    continue;
                }
                if (commands.Count == 0 && list.IsOrdered)
                {
                    // "1. Run `docker compose ps`": a code span that reads as a command is the step's command.
                    foreach (var span in inline.Where(s => s.Contains(' ', StringComparison.Ordinal) && Detect("", s) is "bash" or "sql"))
                        commands.Add(Command(span, Detect("", span), line));
                }
                if (!list.IsOrdered && commands.Count == 0)
                {
                    // A plain bullet is the section's prose ("- Response time: < 15 minutes").
                    section.Paragraphs.Add(new MetadataValue(text, line));
                    continue;
                }
                if (list.IsOrdered || commands.Count > 0)
                {
                    var first = texts.FirstOrDefault() ?? "";
                    section.Steps.Add(new Step(list.IsOrdered ? StepNumber(list, item) : null, StepTitle(first), text, line, commands, option));
                }
            }
        }

        private static int? StepNumber(ListBlock list, ListItemBlock item)
        {
            var start = int.TryParse(list.OrderedStart, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 1;
            return start + list.IndexOf(item);
        }

        private static string StepTitle(string text)
        {
            var first = text.Split('\n')[0].Trim();
            var cut = first.IndexOfAny(['—', '.', ':']);
            var t = cut >= 2 && cut < first.Length - 1 && first[cut] != '.' ? first[..cut].Trim() : first;
            return t.Length <= 120 ? t : t[..117] + "…";
        }

        /// <summary>A commented group of a code block: its title comment, number, the notes (further comments) and commands.</summary>
        private sealed record Group(string? Title, int? Number, int Line, List<RunbookCommand> Commands)
        {
            public List<string> Notes { get; } = [];
        }

        /// <summary>A code block: kept as a snippet; when it is runnable, its commands, grouped into steps by comment
        /// lines that start a group (<c># 1. Check …</c>, or a comment after a blank line). Outside a list item each
        /// group becomes a step of the section.</summary>
        private List<Group> Code(CodeBlock code, ListItemBlock? inItem)
        {
            var section = Current;
            var fence = code is FencedCodeBlock f ? (f.Info ?? "").Trim().Split(' ', '{')[0] : "";
            var text = string.Join('\n', code.Lines.Lines.Take(code.Lines.Count).Select(l => l.ToString()));
            var language = Detect(fence, text);
            var first = code.Line + 1 + (code is FencedCodeBlock ? 1 : 0);
            section?.Blocks.Add(new CodeSnippet(language, fence, text, code.Line + 1));
            var groups = new List<Group>();
            if (!Runnable.Contains(language)) return groups;
            if (language is "python" or "javascript" or "powershell" or "promql")
            {
                groups.Add(new Group(null, null, first, [Command(text, language, first)]));
            }
            else
            {
                Split(text, language, first, groups);
            }
            if (inItem is null && section is not null)
            {
                var single = groups.Count == 1 && groups[0].Title is null;
                foreach (var g in groups)
                {
                    var stepTitle = g.Title ?? (single && lastParagraph is { Length: > 0 } lp && lp.Length <= 160 ? StepTitle(lp) : StripNumber(section.Title));
                    var stepText = g.Title is null ? lastParagraph ?? "" : string.Join('\n', g.Notes.Prepend(g.Title));
                    section.Steps.Add(new Step(g.Number ?? (single ? section.Number : null), stepTitle, stepText, g.Line, g.Commands, option));
                }
            }
            return groups;
        }

        private static string StripNumber(string title) => Numbered().Match(title) is { Success: true } m ? m.Groups["rest"].Value : title;

        private static void Split(string text, string language, int firstLine, List<Group> groups)
        {
            var comment = language == "sql" ? "--" : "#";
            Group? current = null;
            var gap = true;
            var pending = new StringBuilder();
            var pendingLine = 0;
            var raw = text.Split('\n');
            for (var i = 0; i < raw.Length; i++)
            {
                var line = raw[i].TrimEnd('\r');
                var trimmed = line.Trim();
                var at = firstLine + i;
                if (trimmed.Length == 0)
                {
                    gap = true;
                    continue;
                }
                if (pending.Length == 0 && trimmed.StartsWith(comment, StringComparison.Ordinal) && !trimmed.StartsWith("#!", StringComparison.Ordinal))
                {
                    var note = trimmed.TrimStart(comment[0]).Trim();
                    var numbered = NumberedComment().Match(note);
                    if (note.Length > 0 && current is not null && current.Commands.Count == 0 && !numbered.Success && !gap)
                    {
                        // A comment right under a group's title, before its commands: more about the step.
                        current.Notes.Add(note);
                    }
                    else if (note.Length > 0 && (numbered.Success || gap || current is null))
                    {
                        current = new Group(numbered.Success ? numbered.Groups["rest"].Value.Trim() : note,
                            numbered.Success ? int.Parse(numbered.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture) : null, at, []);
                        groups.Add(current);
                    }
                    gap = false;
                    continue;
                }
                gap = false;
                string? commandText = trimmed;
                if (language == "console")
                {
                    // A transcript: "$ cmd" lines are commands, the others its output.
                    if (pending.Length == 0 && !trimmed.StartsWith("$ ", StringComparison.Ordinal) && !trimmed.StartsWith("# ", StringComparison.Ordinal)) continue;
                    if (pending.Length == 0) commandText = trimmed[2..];
                }
                if (pending.Length == 0) pendingLine = at;
                else pending.Append('\n');
                pending.Append(commandText);
                var continues = language == "sql"
                    ? !trimmed.EndsWith(';') && i + 1 < raw.Length && raw[i + 1].Trim().Length > 0
                    : trimmed.EndsWith('\\') || InQuotes(pending);
                if (continues) continue;
                if (current is null)
                {
                    current = new Group(null, null, pendingLine, []);
                    groups.Add(current);
                }
                var command = pending.ToString();
                pending.Clear();
                current.Commands.Add(Command(command, language, pendingLine));
            }
            if (pending.Length > 0)
            {
                if (current is null)
                {
                    current = new Group(null, null, pendingLine, []);
                    groups.Add(current);
                }
                current.Commands.Add(Command(pending.ToString(), language, pendingLine));
            }
            // Comment-only groups carry nothing to run; a numbered one ("# 1. Create incident channel") is still a step,
            // done by hand.
            groups.RemoveAll(g => g.Commands.Count == 0 && g.Number is null);
        }

        /// <summary>Whether shell text ends inside a quoted string (a command whose quote spans lines).</summary>
        private static bool InQuotes(StringBuilder text)
        {
            char? quote = null;
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                if (quote is null)
                {
                    if (c == '\\') i++;
                    else if (c is '\'' or '"') quote = c;
                    else if (c == '#' && (i == 0 || char.IsWhiteSpace(text[i - 1])))
                    {
                        // A comment runs to the end of its line; quotes in it do not count.
                        while (i < text.Length && text[i] != '\n') i++;
                    }
                }
                else if (c == '\\' && quote == '"') i++;
                else if (c == quote) quote = null;
            }
            return quote is not null;
        }

        private static RunbookCommand Command(string text, string language, int line) =>
            new(text, language, line, CommandRisk.Classify(text, language == "console" ? "bash" : language), Parameters(text));

        private void TableBlock(Table table)
        {
            var rows = table.OfType<TableRow>().ToList();
            if (rows.Count == 0) return;
            var header = rows[0].IsHeader ? rows[0] : null;
            var links = new List<RunbookLink>();
            List<string> Cells(TableRow r) => [.. r.OfType<TableCell>().Select(c => string.Join(' ', c.OfType<ParagraphBlock>().Select(p => Text(p.Inline, links).Trim())))];
            var t = new RunbookTable(header is null ? [] : Cells(header), [.. rows.Where(r => r != header).Select(r => (IReadOnlyList<string>)Cells(r))], table.Line + 1);
            if (Current is { } section)
            {
                section.Tables.Add(t);
                section.Links.AddRange(links);
            }
            else
            {
                // A key/value table at the top is header metadata too.
                foreach (var row in t.Rows.Where(r => r.Count == 2))
                    metadata.TryAdd(row[0].Trim('*', '_', ' ', ':'), new MetadataValue(row[1], t.Line));
            }
        }

        private IEnumerable<string> RawLines(LeafBlock block)
        {
            var start = Math.Clamp(block.Span.Start, 0, markdown.Length);
            var end = Math.Clamp(block.Span.End + 1, start, markdown.Length);
            return markdown[start..end].Split('\n').Select(l => l.TrimEnd('\r'));
        }
    }

    /// <summary>A block's inline text (emphasis dropped, code spans as their code), collecting links and code spans.</summary>
    private static string Text(ContainerInline? inline, List<RunbookLink>? links, List<string>? code = null)
    {
        if (inline is null) return "";
        var sb = new StringBuilder();
        foreach (var node in inline.Descendants())
        {
            switch (node)
            {
                case LiteralInline l when l.Parent is not LinkInline { IsImage: true }:
                    sb.Append(l.Content.AsSpan());
                    break;
                case CodeInline c:
                    sb.Append(c.Content);
                    code?.Add(c.Content);
                    break;
                case LineBreakInline:
                    sb.Append('\n');
                    break;
                case LinkInline link when links is not null && link.Url is { } url && !link.IsImage:
                    links.Add(new RunbookLink(Text(link, null), url, link.Line + 1));
                    break;
            }
        }
        return sb.ToString();
    }

    /// <summary>A block's language: its fence tag, unless the content says otherwise (SQL in a <c>bash</c> block, a
    /// <c>$ </c> transcript); an untagged block is judged by its first line.</summary>
    internal static string Detect(string fence, string text)
    {
        var tag = Tags.GetValueOrDefault(fence.Trim().ToLowerInvariant()) ?? (fence.Length == 0 ? "" : fence.ToLowerInvariant());
        var first = text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith("--", StringComparison.Ordinal)) ?? "";
        if (tag is "" or "bash" or "console")
        {
            var prompts = text.Split('\n').Count(l => l.TrimStart().StartsWith("$ ", StringComparison.Ordinal));
            if (prompts > 0 && (tag == "console" || prompts * 2 >= text.Split('\n').Count(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')))) return "console";
            if (first.Length > 0 && SqlRisk.Looks(first)) return "sql";
            if (tag.Length > 0) return tag;
            if (first.Length == 0) return "text";
            if (first.StartsWith('{') || first.StartsWith('[')) return "json";
            if (YamlKey().IsMatch(first) && !first.Contains("://", StringComparison.Ordinal)) return "yaml";
            return CommandRisk.Knows(first) ? "bash" : "text";
        }
        return tag;
    }
}

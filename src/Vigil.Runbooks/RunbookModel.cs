using Vigil.Runbooks.Risk;

namespace Vigil.Runbooks;

/// <summary>A runbook read into its parts. Lines are 1-based lines of the Markdown file.</summary>
public sealed record Runbook(string? Path, string Title, RunbookMetadata Metadata, IReadOnlyList<Section> Sections)
{
    /// <summary>Every section, depth first.</summary>
    public IEnumerable<Section> AllSections() => Sections.SelectMany(s => s.Flatten());

    /// <summary>Every anchor a link can point at (<c>#service-down</c> without the <c>#</c>).</summary>
    public IReadOnlySet<string> Anchors => AllSections().Select(s => s.Anchor).ToHashSet(StringComparer.Ordinal);

    /// <summary>The section an anchor names (<c>service-down</c> or <c>#service-down</c>), or null.</summary>
    public Section? Find(string anchor)
    {
        var a = anchor.TrimStart('#');
        return AllSections().FirstOrDefault(s => s.Anchor == a);
    }
}

/// <summary>The header facts runbooks state (<c>**Last Updated:** 2026-02-05</c>); every "Key: value" of the header is
/// in <see cref="All"/>, the usual ones also by name.</summary>
public sealed record RunbookMetadata(IReadOnlyDictionary<string, MetadataValue> All)
{
    public MetadataValue? LastUpdated => Get("last updated", "updated", "last reviewed", "date");
    public MetadataValue? Owner => Get("owner", "owners", "author", "maintainer", "team", "maintained by");
    public MetadataValue? ReviewCycle => Get("review cycle", "review frequency", "review", "next review");
    public MetadataValue? Version => Get("version", "document version", "revision");
    public MetadataValue? Audience => Get("audience", "for", "intended audience");

    private MetadataValue? Get(params string[] keys) => keys.Select(k => All.GetValueOrDefault(k)).FirstOrDefault(v => v is not null);
}

public sealed record MetadataValue(string Text, int Line);

/// <summary>What a section is for, where its heading says so.</summary>
public enum SectionRole
{
    None,
    Symptoms,
    Diagnosis,
    Resolution,
    Option,
    Rollback,
    Verification,
    Prevention,
    Escalation,
    Checklist,
    Reference,
}

/// <summary>A heading and what is under it until the next heading of its level or higher.</summary>
public sealed class Section
{
    public required string Title { get; init; }

    /// <summary>The GitHub anchor (<c>service-down</c>), unique in the runbook (<c>-1</c>, <c>-2</c> for repeats).</summary>
    public required string Anchor { get; init; }

    public required int Level { get; init; }

    public required int Line { get; init; }

    public SectionRole Role { get; set; }

    /// <summary>The heading's number ("### 1. Check Database" → 1), if it has one.</summary>
    public int? Number { get; init; }

    public List<Step> Steps { get; } = [];

    public List<CodeSnippet> Blocks { get; } = [];

    public List<ChecklistItem> Checklist { get; } = [];

    public List<RunbookTable> Tables { get; } = [];

    public List<RunbookWarning> Warnings { get; } = [];

    public List<RunbookLink> Links { get; } = [];

    /// <summary>Bold labels that divide a section without a heading ("**Symptoms**:", "**Recovery Steps**:"), with
    /// the role their words give.</summary>
    public List<SectionLabel> Labels { get; } = [];

    /// <summary>"Option A - Rollback:" labels of the alternatives the section offers.</summary>
    public List<MetadataValue> Options { get; } = [];

    /// <summary>The section's own prose (paragraphs), for search and for recognising what it is about.</summary>
    public List<MetadataValue> Paragraphs { get; } = [];

    public List<Section> Children { get; } = [];

    public IEnumerable<Section> Flatten() => new[] { this }.Concat(Children.SelectMany(c => c.Flatten()));

    /// <summary>The highest risk of the section's steps (read-only when it has none).</summary>
    public RiskAssessment Risk => RiskAssessment.Max(Steps.Select(s => s.Risk));
}

/// <summary>One thing to do: an item of a numbered list, a numbered heading's content, or a commented group of lines in
/// a code block (<c># 1. Check …</c>).</summary>
public sealed record Step(int? Number, string Title, string Text, int Line, IReadOnlyList<RunbookCommand> Commands, string? Option)
{
    /// <summary>The step's class: the highest of its commands' (read-only without commands).</summary>
    public RiskAssessment Risk => Commands.Count == 0 ? RiskAssessment.ReadOnly("no command to run") : RiskAssessment.Max(Commands.Select(c => c.Risk));
}

/// <summary>A command as the runbook writes it, its language (from the fence, corrected by its content), its risk, and
/// the placeholders a person must fill in (<c>YOUR_TOKEN</c>, <c>&lt;pod&gt;</c>, <c>$VERSION</c>).</summary>
public sealed record RunbookCommand(string Text, string Language, int Line, RiskAssessment Risk, IReadOnlyList<string> Parameters);

/// <summary>A fenced or indented code block as written.</summary>
public sealed record CodeSnippet(string Language, string FenceTag, string Text, int Line);

public sealed record ChecklistItem(string Text, bool Done, int Line);

public sealed record SectionLabel(string Text, SectionRole Role, int Line);

public sealed record RunbookTable(IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows, int Line);

public sealed record RunbookWarning(string Level, string Text, int Line);

public sealed record RunbookLink(string Text, string Target, int Line);

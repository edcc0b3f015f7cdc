using System.Globalization;
using System.Text.RegularExpressions;
using Vigil.Runbooks.Risk;

namespace Vigil.Runbooks;

/// <summary>One lint finding: where, how bad (<c>error</c>, <c>warning</c>, <c>info</c>), which rule, and what to do.</summary>
public sealed record LintFinding(string File, int Line, string Severity, string Rule, string Message)
{
    public override string ToString() => $"{File}:{Line}: {Severity} {Rule}: {Message}";
}

/// <summary>
/// Checks a runbook for what hurts at 3 a.m.: destructive steps with no warning and no backup before them, deploy or
/// migration sections with no way back, secrets written into commands, placeholders left to fill in, links to
/// sections that do not exist, symptoms with no resolution, a "Last Updated" older than the stated review cycle, and
/// steps that act on services the runbook never lists.
/// </summary>
public static partial class RunbookLinter
{
    public const string Error = "error";
    public const string Warning = "warning";
    public const string Info = "info";

    public static List<LintFinding> Lint(Runbook r, DateOnly today)
    {
        var file = r.Path ?? "runbook.md";
        var findings = new List<LintFinding>();
        void Add(int line, string severity, string rule, string message) => findings.Add(new LintFinding(file, line, severity, rule, message));
        var sections = r.AllSections().ToList();
        var steps = sections.SelectMany(s => s.Steps.Select(st => (Section: s, Step: st))).OrderBy(x => x.Step.Line).ToList();

        // Destructive steps need a warning before them, or a backup step earlier in the runbook.
        foreach (var (section, step) in steps.Where(x => x.Step.Risk.Class == RiskClass.Destructive))
        {
            var warned = section.Warnings.Any(w => w.Line <= step.Line) || DangerWords().IsMatch(step.Text) || DangerWords().IsMatch(step.Title)
                         || (step.Option is not null && DangerWords().IsMatch(step.Option));
            var backedUp = steps.Any(x => x.Step.Line < step.Line && IsBackup(x.Step) && SameArea(x.Section, section, r));
            if (!warned && !backedUp)
            {
                var command = step.Commands.First(c => c.Risk.Class == RiskClass.Destructive);
                Add(command.Line, Error, "destructive-without-warning",
                    $"step '{step.Title}' is destructive ({command.Risk.Reasons[0]}) with no warning and no backup step before it: add a WARNING line saying what is lost, or a backup step first");
            }
        }

        // Deploys and migrations need a way back.
        var hasRollback = sections.Any(s => s.Role == SectionRole.Rollback) || steps.Any(x => RollbackWords().IsMatch(x.Step.Title) || x.Step.Commands.Any(c => RollbackCommand().IsMatch(c.Text)));
        foreach (var s in sections.Where(s => DeployWords().IsMatch(s.Title) && s.Role != SectionRole.Rollback))
        {
            var local = s.Flatten().Any(c => c.Role == SectionRole.Rollback) || s.Steps.Any(st => RollbackWords().IsMatch(st.Title) || st.Commands.Any(c => RollbackCommand().IsMatch(c.Text)));
            if (!local && !hasRollback)
                Add(s.Line, Warning, "no-rollback", $"section '{s.Title}' deploys or migrates, and the runbook has no rollback: add a section saying how to go back");
        }

        // Secrets in commands and text.
        foreach (var (section, step) in steps)
        {
            foreach (var c in step.Commands)
            {
                foreach (var (kind, _) in Secrets(c.Text))
                    Add(c.Line, Error, "hard-coded-secret", $"the command holds {kind}: use a variable (`$TOKEN`) and keep the value out of the runbook");
                if (c.Parameters.Count > 0)
                    Add(c.Line, Warning, "placeholder", $"fill in {string.Join(", ", c.Parameters.Select(p => $"`{p}`"))} before running this command (Vigil asks for them when it runs the step)");
            }
        }
        foreach (var s in sections)
        {
            foreach (var b in s.Blocks.Where(b => !RunbookParser.IsRunnable(b.Language)))
                foreach (var (kind, offset) in Secrets(b.Text))
                    Add(b.Line + 1 + offset, Error, "hard-coded-secret", $"the {b.Language} block holds {kind}: keep the value out of the runbook");
        }

        // Internal links and the table of contents.
        var anchors = r.Anchors;
        foreach (var s in sections)
        {
            foreach (var link in s.Links.Where(l => l.Target.StartsWith('#')))
            {
                var target = link.Target[1..];
                if (!anchors.Contains(target) && !anchors.Contains(Uri.UnescapeDataString(target)))
                {
                    var near = anchors.OrderBy(a => Math.Abs(a.Length - target.Length) > 8 ? 99 : Suggestions.Distance(a, target)).FirstOrDefault();
                    Add(link.Line, Error, "broken-link", $"'{link.Text}' links to #{target}, which no heading has" + (near is null ? "" : $"; did you mean #{near}?"));
                }
            }
        }

        // Symptoms need a resolution near them.
        foreach (var s in sections.Where(s => s.Role == SectionRole.Symptoms))
        {
            // Under one problem's heading, its siblings are that problem's other parts; under the title (or at the top),
            // only what it holds and the section right after it.
            var parent = sections.FirstOrDefault(p => p.Children.Contains(s));
            var siblings = parent?.Children ?? [.. r.Sections];
            var own = parent is null || parent.Level == 1;
            var around = own ? siblings.SkipWhile(x => x != s).Take(2).ToList() : siblings;
            var resolved = around.Any(x => x.Flatten().Any(f => f.Role is SectionRole.Resolution or SectionRole.Option or SectionRole.Rollback || f.Steps.Any(st => st.Risk.Class != RiskClass.ReadOnly)))
                           || (!own && parent!.Steps.Any(st => st.Risk.Class != RiskClass.ReadOnly));
            if (!resolved) Add(s.Line, Warning, "symptoms-without-resolution", $"'{s.Title}' lists symptoms, and nothing near it says how to resolve them: add a resolution section or steps");
        }

        // A bold "Symptoms:" label inside a section needs a resolution label, option or changing step in that section.
        foreach (var s in sections.Where(s => s.Labels.Any(l => l.Role == SectionRole.Symptoms) && s.Role != SectionRole.Symptoms))
        {
            var resolved = s.Labels.Any(l => l.Role is SectionRole.Resolution or SectionRole.Option or SectionRole.Rollback) || s.Options.Count > 0
                           || s.Flatten().Any(f => f.Steps.Any(st => st.Risk.Class != RiskClass.ReadOnly) || (f != s && f.Role is SectionRole.Resolution or SectionRole.Option or SectionRole.Rollback));
            if (!resolved)
            {
                var label = s.Labels.First(l => l.Role == SectionRole.Symptoms);
                Add(label.Line, Warning, "symptoms-without-resolution", $"'{s.Title}' lists symptoms, and nothing in it says how to resolve them: add resolution steps");
            }
        }

        // A stale runbook.
        if (r.Metadata.LastUpdated is { } updated && r.Metadata.ReviewCycle is { } cycle && Date(updated.Text) is { } when && Cycle(cycle.Text) is { } every)
        {
            var due = every(when);
            if (due < today)
                Add(updated.Line, Warning, "stale", $"last updated {when:yyyy-MM-dd} with a {cycle.Text.ToLowerInvariant()} review cycle: the review was due {due:yyyy-MM-dd}");
        }

        // Services the steps act on that the runbook never lists.
        var known = KnownServices(r);
        if (known.Count > 0)
        {
            foreach (var (_, step) in steps)
            {
                foreach (var c in step.Commands)
                {
                    foreach (var name in ServicesIn(c.Text).Where(n => !known.Contains(n)).Distinct(StringComparer.Ordinal))
                        Add(c.Line, Warning, "unknown-service", $"'{name}' is not among the services this runbook lists ({string.Join(", ", known.Order(StringComparer.Ordinal))}): add it, or fix the name");
                }
            }
        }
        return [.. findings.OrderBy(f => f.Line).ThenBy(f => f.Rule, StringComparer.Ordinal)];
    }

    private static bool IsBackup(Step step) =>
        BackupWords().IsMatch(step.Title) || step.Commands.Any(c => BackupCommand().IsMatch(c.Text));

    /// <summary>A backup counts for the steps of its own top-level section.</summary>
    private static bool SameArea(Section a, Section b, Runbook r)
    {
        Section? Top(Section s) => r.Sections.SelectMany(root => root.Level == 1 ? root.Children : [root]).FirstOrDefault(t => t.Flatten().Contains(s)) ?? r.Sections.FirstOrDefault(t => t.Flatten().Contains(s));
        return Top(a) == Top(b);
    }

    private static IEnumerable<(string Kind, int Offset)> Secrets(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            foreach (Match m in SecretPattern().Matches(lines[i]))
            {
                var value = m.Groups["value"].Value;
                if (value.Length == 0 || RunbookParser.Parameters(value).Count > 0 || value.StartsWith('$') || value.StartsWith('<') || value.Contains("***", StringComparison.Ordinal)
                    || value.Equals("password", StringComparison.OrdinalIgnoreCase) || value.Equals("secret", StringComparison.OrdinalIgnoreCase)) continue;
                yield return (m.Groups["kind"].Success && m.Groups["kind"].Value.Length > 0 ? Kind(m.Groups["kind"].Value) : "a secret", i);
            }
        }
    }

    private static string Kind(string k) => k.ToLowerInvariant() switch
    {
        var x when x.StartsWith("bearer", StringComparison.Ordinal) => "a bearer token",
        var x when x.StartsWith("akia", StringComparison.Ordinal) => "an AWS access key",
        var x when x.Contains("private key", StringComparison.Ordinal) => "a private key",
        var x when x.Contains("://", StringComparison.Ordinal) => "a password in a URL",
        _ => $"a {k.ToLowerInvariant().Trim('-', '=', ':', ' ')}",
    };

    private static HashSet<string> KnownServices(Runbook r)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in r.AllSections().SelectMany(s => s.Tables))
        {
            for (var col = 0; col < t.Headers.Count; col++)
            {
                var h = t.Headers[col].ToLowerInvariant();
                if (!(h.Contains("service", StringComparison.Ordinal) || h.Contains("unit", StringComparison.Ordinal) || h.Contains("container", StringComparison.Ordinal) || h.Contains("component", StringComparison.Ordinal))) continue;
                foreach (var row in t.Rows.Where(row => col < row.Count))
                    foreach (Match m in Name().Matches(row[col].ToLowerInvariant()))
                        known.Add(m.Value.EndsWith(".service", StringComparison.Ordinal) ? m.Value[..^8] : m.Value);
            }
        }
        return known;
    }

    /// <summary>Service names a command acts on: <c>docker compose VERB SERVICE</c>, <c>systemctl VERB UNIT</c>.</summary>
    private static IEnumerable<string> ServicesIn(string command)
    {
        foreach (Match m in ComposeService().Matches(command)) yield return m.Groups["name"].Value;
        foreach (Match m in SystemctlUnits().Matches(command))
            foreach (var unit in m.Groups["units"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(u => !u.StartsWith('-')))
                yield return unit.EndsWith(".service", StringComparison.Ordinal) ? unit[..^8] : unit;
    }

    /// <summary>A date as runbooks write it: 2026-02-05, 5 Feb 2026, February 5, 2026, December 2025, 02/05/2026.</summary>
    public static DateOnly? Date(string text)
    {
        var t = text.Trim().TrimEnd('.');
        string[] formats = ["yyyy-MM-dd", "yyyy/MM/dd", "d MMM yyyy", "d MMMM yyyy", "MMM d, yyyy", "MMMM d, yyyy", "MMMM yyyy", "MMM yyyy", "yyyy-MM", "MM/dd/yyyy", "dd.MM.yyyy"];
        return DateOnly.TryParseExact(t, formats, CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces, out var d) ? d : null;
    }

    /// <summary>A review cycle: monthly, quarterly, weekly, yearly, "every 6 months", "90 days".</summary>
    public static Func<DateOnly, DateOnly>? Cycle(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t.Contains("week", StringComparison.Ordinal) && !t.Any(char.IsDigit)) return d => d.AddDays(7);
        if (t.Contains("fortnight", StringComparison.Ordinal) || t.Contains("bi-week", StringComparison.Ordinal) || t.Contains("biweek", StringComparison.Ordinal)) return d => d.AddDays(14);
        if (t.Contains("quarter", StringComparison.Ordinal)) return d => d.AddMonths(3);
        if (t.Contains("semi", StringComparison.Ordinal) || t.Contains("half", StringComparison.Ordinal) || t.Contains("biannual", StringComparison.Ordinal)) return d => d.AddMonths(6);
        if (t.Contains("year", StringComparison.Ordinal) || t.Contains("annual", StringComparison.Ordinal)) return d => d.AddYears(1);
        if (t.Contains("month", StringComparison.Ordinal) && !t.Any(char.IsDigit)) return d => d.AddMonths(1);
        if (EveryN().Match(t) is { Success: true } m)
        {
            var n = int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
            return m.Groups["unit"].Value switch
            {
                var u when u.StartsWith("day", StringComparison.Ordinal) => d => d.AddDays(n),
                var u when u.StartsWith("week", StringComparison.Ordinal) => d => d.AddDays(7 * n),
                var u when u.StartsWith("month", StringComparison.Ordinal) => d => d.AddMonths(n),
                _ => d => d.AddYears(n),
            };
        }
        return null;
    }

    [GeneratedRegex(@"\b(?:warning|caution|danger|destructive|irreversible|data loss|loses data|cannot be undone|permanently)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DangerWords();

    [GeneratedRegex(@"\b(?:backup|back up|snapshot|dump)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BackupWords();

    [GeneratedRegex(@"\b(?:pg_dump|pg_dumpall|pg_basebackup|mysqldump|mongodump|backup\.sh|velero\s+backup|BGSAVE|create-db-snapshot|create-snapshot|snapshot\s+create|restic\s+backup|borg\s+create)\b|\bcp\s+\S+\s+\S+\.(?:bak|backup|orig)\b|\btar\s+-?c", RegexOptions.CultureInvariant)]
    private static partial Regex BackupCommand();

    [GeneratedRegex(@"\b(?:deploy|deployment|release|migrat|upgrade|rollout)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DeployWords();

    [GeneratedRegex(@"\b(?:roll\s?back|revert|downgrade|undo)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RollbackWords();

    [GeneratedRegex(@"rollout\s+undo|rollback|downgrade|helm\s+rollback|git\s+revert", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RollbackCommand();

    [GeneratedRegex(@"(?<kind>Bearer)\s+(?<value>[A-Za-z0-9._~+/-]{16,}=*)|(?<kind>AKIA)(?<value>[0-9A-Z]{16})\b|(?<kind>-----BEGIN [A-Z ]*PRIVATE KEY)(?<value>-----)|(?<kind>://)[^/\s:@]{1,64}:(?<value>[^@\s/]{3,})@|\b(?<kind>(?:PG)?PASSWORD|API_KEY|APIKEY|SECRET|TOKEN|ACCESS_KEY)\s*=\s*['""]?(?<value>[^\s'""$<{]{6,})|(?<kind>redis-cli\b[^|;&\n]*?\s-a)\s+['""]?(?<value>[^\s'""$<-][^\s'""]{3,})|\b(?<kind>(?:ghp|gho|ghs|xoxb|xoxp|sk_live|rk_live|glpat))[_-](?<value>[A-Za-z0-9_-]{10,})", RegexOptions.CultureInvariant)]
    private static partial Regex SecretPattern();

    [GeneratedRegex(@"[a-z][a-z0-9_.-]*[a-z0-9]", RegexOptions.CultureInvariant)]
    private static partial Regex Name();

    [GeneratedRegex(@"\b(?:docker[\s-]compose)\s+(?:-f\s+\S+\s+)?(?:exec|restart|logs|stop|start|up\s+-d|up|run\s+--rm|run|kill|rm|pull|build)(?:\s+-[A-Za-z-]+(?:[= ]\d+)?)*\s+(?<name>[a-z][a-z0-9_.-]*)", RegexOptions.CultureInvariant)]
    private static partial Regex ComposeService();

    [GeneratedRegex(@"\bsystemctl\s+(?:--no-pager\s+)?(?:restart|start|stop|status|reload|enable|disable|is-active)\s+(?<units>(?:[\w@.-]+\s*)+)", RegexOptions.CultureInvariant)]
    private static partial Regex SystemctlUnits();

    [GeneratedRegex(@"(?<n>\d+)\s*(?<unit>days?|weeks?|months?|years?)", RegexOptions.CultureInvariant)]
    private static partial Regex EveryN();
}

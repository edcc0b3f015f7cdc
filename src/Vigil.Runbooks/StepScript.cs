using System.Text;
using System.Text.RegularExpressions;

namespace Vigil.Runbooks;

/// <summary>Why a parameter's value was refused: which parameter, and what to do.</summary>
public sealed record ParameterProblem(string Name, string Message);

/// <summary>
/// Turns a step into the script Vigil runs: its placeholders filled with the values a responder gave, each value checked
/// against where it lands. Outside quotes a value may hold no shell metacharacter at all; inside double quotes it may hold
/// anything but <c>" $ ` \</c>; inside single quotes anything but <c>'</c>. So a runbook allows metacharacters for a
/// parameter exactly by quoting its placeholder (<c>grep 'PATTERN_HERE'</c>), and a value can never become a command.
/// </summary>
public static class StepScript
{
    public const int MaxValueLength = 1000;

    /// <summary>What Vigil runs as a script: shell (bash, console transcripts) and Python.</summary>
    public static bool CanRun(string language) => language is "bash" or "console" or "python";

    /// <summary>Whether every command of the step is SQL (a step Vigil runs against the workspace's database).</summary>
    public static bool IsSql(Step step) => step.Commands.Count > 0 && step.Commands.All(c => c.Language == "sql");

    /// <summary>
    /// The placeholders of the step's commands a responder must fill, in order of appearance: all of them except
    /// <c>$VAR</c> and <c>${VAR}</c> of variables the step's environment provides (<paramref name="environment"/>),
    /// which the shell expands itself.
    /// </summary>
    public static IReadOnlyList<string> Parameters(Step step, IReadOnlySet<string>? environment = null) =>
        [.. step.Commands.SelectMany(c => Placeholders(c.Text)).Where(p => !(p.Variable && environment?.Contains(p.Name) == true))
            .Select(p => p.Name).Where(n => step.Commands.Any(c => c.Parameters.Contains(n))).Distinct(StringComparer.Ordinal)];

    private static IEnumerable<(string Name, bool Variable)> Placeholders(string command) =>
        RunbookParser.Placeholder().Matches(command).Select(m => (Name(m), m.Groups["var"].Success));

    private static string Name(Match m) => m.Groups["angle"].Success ? m.Groups["angle"].Value : m.Groups["var"].Success ? m.Groups["var"].Value : m.Value;

    /// <summary>Why the step cannot be run by Vigil, or null when it can; <paramref name="database"/> says whether
    /// the workspace names a database for SQL steps.</summary>
    public static string? NotRunnable(Step step, bool database = false)
    {
        if (step.Commands.Count == 0) return "The step has no command; do it by hand and mark it complete.";
        if (IsSql(step))
        {
            return database ? null
                : "The step is SQL and the workspace names no database for runbooks (`runbooks.database`); run it yourself and mark the step complete.";
        }
        var other = step.Commands.FirstOrDefault(c => !CanRun(c.Language));
        return other is null ? null
            : $"The step has a {other.Language} command (line {other.Line}); Vigil runs shell, Python and (with `runbooks.database`) SQL steps, one kind per step. Run it yourself and mark the step complete.";
    }

    /// <summary>A SQL step's statements with their placeholders filled (SQL quoting rules), or null with the problems.</summary>
    public static IReadOnlyList<string>? Statements(Step step, IReadOnlyDictionary<string, string> values, List<ParameterProblem> problems)
    {
        var statements = step.Commands.Select(c => Fill(c.Text, values, problems, null, sql: true)).ToList();
        ReportUnknown(step, values, problems, null);
        return problems.Count == 0 ? statements : null;
    }

    /// <summary>The step as one bash script (stopping at the first failing command), or null with the problems.</summary>
    public static string? Build(Step step, IReadOnlyDictionary<string, string> values, List<ParameterProblem> problems, IReadOnlySet<string>? environment = null)
    {
        var script = new StringBuilder("set -e\n");
        foreach (var c in step.Commands)
        {
            var text = Fill(c.Text, values, problems, environment);
            script.Append(c.Language == "python" ? "python3 -c " + SingleQuote(text) : text).Append('\n');
        }
        ReportUnknown(step, values, problems, environment);
        return problems.Count == 0 ? script.ToString() : null;
    }

    private static void ReportUnknown(Step step, IReadOnlyDictionary<string, string> values, List<ParameterProblem> problems, IReadOnlySet<string>? environment)
    {
        var unknown = values.Keys.Where(k => !step.Commands.Any(c => c.Parameters.Contains(k))).ToList();
        foreach (var k in unknown) problems.Add(new ParameterProblem(k, $"the step has no placeholder '{k}'; its placeholders are: {Describe(Parameters(step, environment))}"));
    }

    /// <summary>The command with each placeholder replaced by its value; refused values go to <paramref name="problems"/>.</summary>
    public static string Fill(string command, IReadOnlyDictionary<string, string> values, List<ParameterProblem> problems, IReadOnlySet<string>? environment = null, bool sql = false)
    {
        var result = new StringBuilder(command.Length);
        var last = 0;
        foreach (Match m in RunbookParser.Placeholder().Matches(command))
        {
            var name = Name(m);
            result.Append(command, last, m.Index - last);
            last = m.Index + m.Length;
            if (!values.TryGetValue(name, out var value))
            {
                // $HOME-like variables are the shell's own, and the environment's are provided: they stay as written.
                if (!RunbookParser.Parameters(m.Value).Contains(name) || (m.Groups["var"].Success && environment?.Contains(name) == true)) result.Append(m.Value);
                else if (problems.All(p => p.Name != name)) problems.Add(new ParameterProblem(name, $"give a value for '{name}' in `parameters`"));
                continue;
            }
            if ((sql ? CheckSql(name, value, QuoteAt(command, m.Index, sql)) : Check(name, value, QuoteAt(command, m.Index, sql))) is { } problem)
            {
                if (problems.All(p => p.Name != name || p.Message != problem)) problems.Add(new ParameterProblem(name, problem));
                continue;
            }
            result.Append(value);
        }
        result.Append(command, last, command.Length - last);
        return result.ToString();
    }

    private static string Describe(IReadOnlyList<string> names) => names.Count == 0 ? "none" : string.Join(", ", names);

    /// <summary>What no value may be anywhere: empty, too long, or more than one line of text.</summary>
    private static string? Plain(string name, string value) =>
        value.Length == 0 ? $"'{name}' is empty; give a value"
        : value.Length > MaxValueLength ? $"'{name}' is longer than {MaxValueLength} characters"
        : value.Any(char.IsControl) ? $"'{name}' holds a control character (a newline, a tab); give one line of plain text"
        : null;

    private static string? Check(string name, string value, char quote)
    {
        if (Plain(name, value) is { } problem) return problem;
        // The value itself is never repeated: it may be a token.
        switch (quote)
        {
            case '\'':
                if (value.Contains('\'')) return $"'{name}' holds a single quote; the placeholder is inside single quotes, where a quote would end them";
                return null;
            case '"':
                var bad = value.FirstOrDefault(c => c is '"' or '$' or '`' or '\\');
                return bad == default ? null
                    : $"'{name}' holds '{bad}'; the placeholder is inside double quotes, where \" $ ` and \\ keep their meaning to the shell";
            default:
                var unsafeChar = value.FirstOrDefault(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '/' or '@' or '%' or '+' or '=' or ',' or '~' or '-'));
                return unsafeChar == default ? null
                    : $"'{name}' holds '{unsafeChar}', which the shell would interpret; outside quotes a value may only hold letters, digits and . _ : / @ % + = , ~ -. If the step needs more, quote the placeholder in the runbook ('<{name}>')";
        }
    }

    /// <summary>
    /// A value in SQL: inside a string literal anything but <c>'</c>; inside a quoted identifier anything but <c>"</c>;
    /// bare, only letters, digits, <c>.</c> and <c>_</c>: a bare <c>-</c> could start a <c>--</c> comment that drops the
    /// rest of a <c>WHERE</c>.
    /// </summary>
    private static string? CheckSql(string name, string value, char quote)
    {
        if (Plain(name, value) is { } problem) return problem;
        switch (quote)
        {
            case '\'':
                return value.Contains('\'') ? $"'{name}' holds a single quote; the placeholder is inside an SQL string, which a quote would end" : null;
            case '"':
                return value.Contains('"') ? $"'{name}' holds a double quote; the placeholder is inside a quoted SQL name, which it would end" : null;
            default:
                var bad = value.FirstOrDefault(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '_'));
                return bad == default ? null
                    : $"'{name}' holds '{bad}'; outside quotes an SQL value may only hold letters, digits, '.' and '_'. If the step needs more, quote the placeholder in the runbook ('<{name}>')";
        }
    }

    /// <summary>The quote open at <paramref name="index"/>: <c>'</c>, <c>"</c> or <c>\0</c> for none. In shell a
    /// backslash escapes outside single quotes; in SQL it is an ordinary character and <c>''</c> is a quote inside a string.</summary>
    private static char QuoteAt(string text, int index, bool sql = false)
    {
        var quote = '\0';
        for (var i = 0; i < index && i < text.Length; i++)
        {
            var c = text[i];
            if (sql)
            {
                if (quote == '\0' && c is '\'' or '"') quote = c;
                else if (c == quote) quote = '\0';
                continue;
            }
            if (quote == '\0')
            {
                if (c == '\\') i++;
                else if (c is '\'' or '"') quote = c;
            }
            else if (c == '\\' && quote == '"') i++;
            else if (c == quote) quote = '\0';
        }
        return quote;
    }

    private static string SingleQuote(string text) => "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

namespace Vigil.Runbooks.Risk;

/// <summary>
/// Classifies a command as <c>read-only</c>, <c>mutating</c> or <c>destructive</c>, with the reasons, by what it says
/// rather than by its fence's tag: shell is split into its simple commands (pipelines, chains, lines), wrappers are
/// looked through (<c>sudo</c>, <c>env</c>, <c>timeout</c>, <c>watch</c>, <c>xargs</c>, <c>docker compose exec</c>,
/// <c>kubectl exec … --</c>, <c>ssh host '…'</c>, <c>bash -c</c>), SQL is judged statement by statement (also inside
/// <c>psql -c</c>), Redis by command. The highest class of the parts is the command's. A command Vigil does not know
/// is <c>mutating</c>, never <c>read-only</c>.
/// </summary>
public static class CommandRisk
{
    /// <summary>Languages that are not run: a configuration or an example output is read-only.</summary>
    private static readonly HashSet<string> Inert = new(StringComparer.OrdinalIgnoreCase)
    {
        "yaml", "yml", "json", "toml", "ini", "xml", "text", "txt", "plaintext", "output", "log", "markdown", "md", "promql", "csv", "diff", "mermaid",
    };

    private static readonly HashSet<string> SqlTags = new(StringComparer.OrdinalIgnoreCase) { "sql", "psql", "pgsql", "postgresql", "postgres", "mysql", "sqlite", "plpgsql" };

    /// <summary>Classifies one command (one or more lines) given its block's language tag (may be null or wrong).</summary>
    public static RiskAssessment Classify(string command, string? language = null)
    {
        var text = command ?? "";
        var tag = language?.Trim() ?? "";
        if (tag.Equals("redis", StringComparison.OrdinalIgnoreCase)) return RedisRisk.Lines(text);
        if (SqlTags.Contains(tag) || SqlRisk.Looks(text)) return SqlRisk.Classify(text);
        if (Inert.Contains(tag)) return tag.Equals("promql", StringComparison.OrdinalIgnoreCase)
            ? RiskAssessment.ReadOnly("a PromQL query reads metrics")
            : RiskAssessment.ReadOnly($"{tag} is not run");
        if (tag is "python" or "py" or "javascript" or "js" or "ruby" or "go" or "powershell" or "ps1")
            return RiskAssessment.Mutating($"a {tag} program: what it does is not read here");
        return Shell(text, 0);
    }

    internal static RiskAssessment Shell(string text, int depth)
    {
        if (depth > 4) return RiskAssessment.Mutating("commands nested too deeply to read");
        var commands = ShellWords.Split(text);
        var parts = new List<RiskAssessment>();
        foreach (var c in commands)
        {
            if (c.Words.Count > 0) parts.Add(Simple(c.Words, false, depth));
            foreach (var written in c.WritesTo)
            {
                var target = written.TrimEnd(')');
                if (target is "/dev/null" or "/dev/stdout" or "/dev/stderr") continue;
                parts.Add(target.StartsWith("/dev/", StringComparison.Ordinal) && !target.StartsWith("/dev/tty", StringComparison.Ordinal)
                    ? RiskAssessment.Destructive($"writes over the device {target}")
                    : RiskAssessment.Mutating($"writes the file {target}"));
            }
            foreach (var sub in c.Substitutions) parts.Add(Shell(sub, depth + 1));
        }
        return parts.Count == 0 ? RiskAssessment.ReadOnly("nothing to run (comments only)") : RiskAssessment.Max(parts);
    }

    /// <summary>One simple command's words; <paramref name="mass"/> when <c>xargs</c> runs it once per input line.</summary>
    private static RiskAssessment Simple(IReadOnlyList<string> all, bool mass, int depth)
    {
        var w = all.ToList();
        // Subshells and groups: "(cmd …)", "{ cmd …; }" run cmd.
        if (w.Count > 0 && w[0].TrimStart('(', '{') is var first && first.Length < w[0].Length)
        {
            if (first.Length == 0) w.RemoveAt(0);
            else w[0] = first;
        }
        while (w.Count > 0 && w[^1] is ")" or "}" or "))") w.RemoveAt(w.Count - 1);
        if (w.Count > 0 && w[^1].EndsWith(')') && !w[^1].Contains('(')) w[^1] = w[^1].TrimEnd(')');
        // Leading variable assignments (FOO=bar cmd) set the environment of the command only.
        while (w.Count > 0 && IsAssignment(w[0])) w.RemoveAt(0);
        if (w.Count == 0) return RiskAssessment.ReadOnly("sets a shell variable");
        // The shell's own words: a loop or condition runs the commands it holds, each classified on its own.
        switch (w[0])
        {
            case "do" or "then" or "else" or "elif" or "if" or "while" or "until" or "!":
                return w.Count == 1 ? RiskAssessment.ReadOnly($"`{w[0]}` is shell syntax") : Simple(w.Skip(1).ToList(), mass, depth);
            case "for" or "select" or "case" or "done" or "fi" or "esac" or "in" or ";;":
                return RiskAssessment.ReadOnly($"`{w[0]}` is shell syntax");
        }
        var tool = Tool(w[0]);
        var args = w.Skip(1).ToList();
        switch (tool)
        {
            case "sudo" or "doas":
                return Wrapped(SkipOptions(args, "-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U"), mass, depth);
            case "env":
                return args.Count == 0 ? RiskAssessment.ReadOnly("`env` lists the environment") : Wrapped(SkipOptions(args, "-u", "-C", "-S").SkipWhile(IsAssignment).ToList(), mass, depth);
            case "nohup" or "time" or "command" or "exec" or "builtin" or "unbuffer" or "stdbuf" or "chronic" or "caffeinate":
                return Wrapped(SkipOptions(args, "-o", "-e", "-i"), mass, depth);
            case "nice" or "ionice" or "chrt" or "taskset" or "cpulimit":
                return Wrapped(SkipOptions(args, "-n", "-c", "-p", "-l"), mass, depth);
            case "timeout":
            {
                var rest = SkipOptions(args, "-s", "-k", "--signal", "--kill-after");
                return Wrapped(rest.Skip(1).ToList(), mass, depth);
            }
            case "watch":
            {
                var rest = SkipOptions(args, "-n", "--interval", "-d", "-c", "-g", "-x");
                return rest.Count == 1 ? Shell(rest[0], depth + 1) : Wrapped(rest, mass, depth);
            }
            case "xargs":
                return Wrapped(SkipOptions(args, "-I", "-i", "-n", "-P", "-d", "-L", "-l", "-a", "-E", "-e", "-s", "--max-args", "--max-procs", "--delimiter", "--arg-file", "--replace"), true, depth);
            case "bash" or "sh" or "zsh" or "dash" or "ksh" or "fish":
            {
                var c = args.IndexOf("-c");
                if (c >= 0 && c + 1 < args.Count) return Shell(args[c + 1], depth + 1);
                var script = args.FirstOrDefault(a => !a.StartsWith('-'));
                return script is null
                    ? RiskAssessment.Mutating($"`{tool}` runs the script it is given on its input")
                    : RiskAssessment.Mutating($"`{tool} {script}` runs a script whose content is not read here");
            }
            case "su":
            {
                var c = args.IndexOf("-c");
                return c >= 0 && c + 1 < args.Count ? Shell(args[c + 1], depth + 1) : RiskAssessment.Mutating("`su` opens a shell as another user");
            }
            case "runuser" or "gosu" or "su-exec" or "setpriv":
            {
                var dash = args.IndexOf("--");
                var rest = dash >= 0 ? args.Skip(dash + 1).ToList() : tool == "runuser" ? SkipOptions(args, "-u", "-g") : args.Skip(1).ToList();
                return Wrapped(rest, mass, depth);
            }
            case "ssh":
            {
                var rest = SkipOptions(args, "-p", "-i", "-l", "-o", "-J", "-F", "-L", "-R", "-D", "-b", "-c", "-E", "-e", "-I", "-m", "-O", "-Q", "-S", "-W", "-w", "-B");
                if (rest.Count <= 1) return RiskAssessment.Mutating("`ssh` opens a remote shell: what is typed there decides");
                return Shell(string.Join(' ', rest.Skip(1)), depth + 1);
            }
        }
        return ToolRules.Classify(tool, args, mass, depth);
    }

    /// <summary>Whether a line starts with a command Vigil has rules for (or a script path): how an untagged code block
    /// is told from prose or output.</summary>
    public static bool Knows(string line)
    {
        var words = ShellWords.Split(line).FirstOrDefault()?.Words.SkipWhile(IsAssignment).ToList();
        if (words is null || words.Count == 0) return false;
        // Shell syntax around a command: a loop or a condition is shell when its body is; a subshell or group is what it holds.
        if (words[0] is "for" or "while" or "until" or "if" && words.Count > 1) return true;
        if (words[0].TrimStart('(', '{') is var inner && inner.Length < words[0].Length)
        {
            return inner.Length > 0 ? Knows(string.Join(' ', [inner, .. words.Skip(1)])) : words.Count > 1 && Knows(string.Join(' ', words.Skip(1)));
        }
        var tool = Tool(words[0]);
        if (tool is "sudo" or "env" or "timeout" or "watch" or "xargs" or "bash" or "sh" or "ssh" or "nohup" || words[0].StartsWith("./", StringComparison.Ordinal)) return true;
        return !ToolRules.Classify(tool, [], false, 0).Reasons.Any(r => r.EndsWith(ToolRules.Unknown, StringComparison.Ordinal));
    }

    private static RiskAssessment Wrapped(IReadOnlyList<string> rest, bool mass, int depth) =>
        rest.Count == 0 ? RiskAssessment.Mutating("a wrapper with no command: an interactive shell") : Simple(rest, mass, depth);

    internal static RiskAssessment Inner(IReadOnlyList<string> rest, int depth) => Wrapped(rest, false, depth + 1);

    internal static bool IsAssignment(string word)
    {
        var eq = word.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0) return false;
        for (var i = 0; i < eq; i++)
        {
            var c = word[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_') || (i == 0 && char.IsAsciiDigit(c))) return false;
        }
        return true;
    }

    /// <summary>The tool's name: its file name, lower case (<c>/usr/bin/psql</c> → <c>psql</c>).</summary>
    internal static string Tool(string word)
    {
        var slash = word.LastIndexOf('/');
        return (slash >= 0 ? word[(slash + 1)..] : word).ToLowerInvariant();
    }

    /// <summary>The arguments after the leading options; the options listed take a value (as the next word).</summary>
    internal static List<string> SkipOptions(IReadOnlyList<string> args, params string[] withValue)
    {
        var i = 0;
        while (i < args.Count && args[i].StartsWith('-') && args[i] != "-")
        {
            if (args[i] == "--")
            {
                i++;
                break;
            }
            i += withValue.Contains(args[i], StringComparer.Ordinal) ? 2 : 1;
        }
        return [.. args.Skip(i)];
    }
}

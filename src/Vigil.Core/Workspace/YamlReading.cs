using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Vigil.Core.Workspace;

/// <summary>
/// Reads YAML nodes into typed values, collecting every error with its position instead of
/// stopping at the first, resolving <c>${ENV_VAR}</c> and recording secrets as it goes.
/// </summary>
internal sealed class YamlReading(string file, Func<string, string?> environment)
{
    public List<WorkspaceError> Errors { get; } = [];
    public SecretSet Secrets { get; } = new();

    public SourcePosition Position(YamlNode node) => At(node.Start);

    public SourcePosition At(Mark mark) => new(file, (int)mark.Line, (int)mark.Column);

    public void Error(YamlNode node, string message, string? hint = null) => Errors.Add(new WorkspaceError(Position(node), message, hint));

    public void Error(SourcePosition at, string message, string? hint = null) => Errors.Add(new WorkspaceError(at, message, hint));

    public Map? Map(YamlNode? node, string what, params string[] allowed)
    {
        if (node is null) return null;
        if (node is YamlMappingNode m) return new Map(this, m, what, allowed);
        Error(node, $"{what} must be a mapping (key: value pairs)", KindHint(node));
        return null;
    }

    /// <summary>A key written with no value (<c>maintenance:</c>), which reads as "nothing here".</summary>
    public static bool IsEmpty(YamlNode? node) => node is null or YamlScalarNode { Value: null or "" or "~" or "null" };

    public IEnumerable<YamlNode> Sequence(YamlNode? node, string what)
    {
        if (node is null) return [];
        if (node is YamlSequenceNode s) return s.Children;
        if (IsEmpty(node)) return [];
        Error(node, $"{what} must be a list", "start each item with '- ' on its own line, or write [a, b]");
        return [];
    }

    /// <summary>A scalar's text with <c>${VAR}</c> resolved; null (and an error) when it is not a scalar.</summary>
    public string? Scalar(YamlNode node, string what, bool secret = false)
    {
        if (node is not YamlScalarNode s)
        {
            Error(node, $"{what} must be a single value", KindHint(node));
            return null;
        }
        var raw = s.Value ?? "";
        var value = Resolve(raw, node, out var fromEnvironment);
        if (value is not null && (secret || fromEnvironment)) Secrets.Add(value);
        return value;
    }

    private static string KindHint(YamlNode node) => node switch
    {
        YamlSequenceNode => "found a list here",
        YamlMappingNode => "found a mapping here; check the indentation",
        _ => "found a single value here",
    };

    // ${NAME} resolves from the environment; $${ is a literal "${". A missing variable is an
    // error naming it: silently substituting "" would turn a typo into a broken page at 3 a.m.
    private string? Resolve(string raw, YamlNode node, out bool fromEnvironment)
    {
        fromEnvironment = false;
        if (!raw.Contains('$', StringComparison.Ordinal)) return raw;
        var sb = new StringBuilder(raw.Length);
        var ok = true;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '$' && i + 1 < raw.Length && raw[i + 1] == '$')
            {
                sb.Append('$');
                i++;
                continue;
            }
            if (raw[i] == '$' && i + 1 < raw.Length && raw[i + 1] == '{')
            {
                var end = raw.IndexOf('}', i + 2);
                if (end < 0)
                {
                    Error(node, "unclosed ${ in value", "write ${NAME}, or $${ for a literal ${");
                    return null;
                }
                var name = raw[(i + 2)..end];
                if (!IsVariableName(name))
                {
                    Error(node, $"'${{{name}}}' is not a valid environment variable reference", "use letters, digits and _ only, e.g. ${SLACK_WEBHOOK_URL}");
                    ok = false;
                }
                else if (environment(name) is { } v)
                {
                    sb.Append(v);
                    fromEnvironment = true;
                    // `url: https://hooks.example.com/${TOKEN}` makes the whole URL a secret;
                    // the token alone must be masked too wherever else it turns up.
                    Secrets.Add(v);
                }
                else
                {
                    Error(node, $"environment variable {name} is not set", $"export {name}=… before starting Vigil, or remove the reference");
                    ok = false;
                }
                i = end;
                continue;
            }
            sb.Append(raw[i]);
        }
        return ok ? sb.ToString() : null;
    }

    private static bool IsVariableName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}

/// <summary>A mapping being read: typed accessors that report errors at the value's position.</summary>
internal sealed class Map
{
    private readonly YamlReading r;
    private readonly Dictionary<string, (YamlNode Key, YamlNode Value)> entries = new(StringComparer.Ordinal);

    public Map(YamlReading reading, YamlMappingNode node, string what, string[] allowed)
    {
        r = reading;
        Node = node;
        What = what;
        foreach (var (k, v) in node.Children)
        {
            var key = (k as YamlScalarNode)?.Value ?? "";
            if (entries.ContainsKey(key))
            {
                r.Error(k, $"key `{key}` appears twice in {what}", "keep one of them");
                continue;
            }
            entries[key] = (k, v);
            if (allowed.Length > 0 && !allowed.Contains(key))
            {
                var guess = Vigil.Runbooks.Suggestions.Closest(key, allowed);
                r.Error(k, $"unknown key `{key}` in {what}",
                    guess is not null ? $"did you mean `{guess}`?" : $"expected one of: {string.Join(", ", allowed)}");
            }
        }
    }

    public YamlMappingNode Node { get; }
    public string What { get; }
    public SourcePosition Position => r.Position(Node);
    public IEnumerable<string> Keys => entries.Keys;

    public bool Has(string key) => entries.ContainsKey(key);

    public YamlNode? this[string key] => entries.TryGetValue(key, out var e) ? e.Value : null;

    public SourcePosition PositionOf(string key) => entries.TryGetValue(key, out var e) ? r.Position(e.Value) : Position;

    public YamlNode? Required(string key, string example)
    {
        if (this[key] is { } v) return v;
        r.Error(Position, $"{What} is missing `{key}`", $"add `{key}: {example}`");
        return null;
    }

    public string? Str(string key, bool secret = false)
    {
        var n = this[key];
        return n is null ? null : r.Scalar(n, $"`{key}` in {What}", secret);
    }

    private static readonly System.Text.RegularExpressions.Regex IdShape = new("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// The item's <c>id</c>. Ids appear in URLs, in <c>SERVICE/CHECK</c> arguments and in references,
    /// so they are restricted to letters, digits, '-', '_' and '.'.
    /// </summary>
    public string? Id(string example)
    {
        var id = RequiredStr("id", example);
        if (id is null || IdShape.IsMatch(id)) return id;
        r.Error(PositionOf("id"), $"id '{id}' in {What} is not a valid id", $"use up to 64 letters, digits, '-', '_' or '.', starting with a letter or digit, e.g. {example}");
        return null;
    }

    public string? RequiredStr(string key, string example, bool secret = false)
    {
        var n = Required(key, example);
        if (n is null) return null;
        var s = r.Scalar(n, $"`{key}` in {What}", secret);
        if (s is { Length: 0 })
        {
            r.Error(n, $"`{key}` in {What} is empty", $"write `{key}: {example}`");
            return null;
        }
        return s;
    }

    public TimeSpan? Duration(string key, TimeSpan? minimum = null)
    {
        var n = this[key];
        if (n is null) return null;
        var s = r.Scalar(n, $"`{key}` in {What}");
        if (s is null) return null;
        if (!Durations.TryParse(s, out var d, out var hint))
        {
            r.Error(n, $"`{key}`: '{s}' is not a duration", hint);
            return null;
        }
        if (minimum is { } min && d < min)
        {
            r.Error(n, $"`{key}` is {s}, below the minimum of {Durations.Format(min)}", $"use at least {Durations.Format(min)}");
            return null;
        }
        return d;
    }

    public int? Int(string key, int min = int.MinValue, int max = int.MaxValue)
    {
        var n = this[key];
        if (n is null) return null;
        var s = r.Scalar(n, $"`{key}` in {What}");
        if (s is null) return null;
        if (!int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
        {
            r.Error(n, $"`{key}`: '{s}' is not a whole number", $"write a number such as {Math.Max(min, 1)}");
            return null;
        }
        if (v < min || v > max)
        {
            r.Error(n, $"`{key}` is {v}, outside {min}..{max}", $"use a value from {min} to {max}");
            return null;
        }
        return v;
    }

    public long? Size(string key)
    {
        var n = this[key];
        if (n is null) return null;
        var s = r.Scalar(n, $"`{key}` in {What}");
        if (s is null) return null;
        if (Sizes.TryParse(s, out var bytes)) return bytes;
        r.Error(n, $"`{key}`: '{s}' is not a size", "write bytes or a unit: 1048576, 500KB, 10MB, 2GB");
        return null;
    }

    public bool? Bool(string key)
    {
        var n = this[key];
        if (n is null) return null;
        var s = r.Scalar(n, $"`{key}` in {What}");
        switch (s?.ToLowerInvariant())
        {
            case null: return null;
            case "true" or "yes" or "on": return true;
            case "false" or "no" or "off": return false;
            default:
                r.Error(n, $"`{key}`: '{s}' is not true or false", $"write `{key}: true` or `{key}: false`");
                return null;
        }
    }

    /// <summary>A scalar that must be one of a fixed set of words, matched case-insensitively.</summary>
    public T? Enum<T>(string key, bool required = false, string? example = null) where T : struct, System.Enum
    {
        var n = required ? Required(key, example ?? System.Enum.GetNames<T>()[0].ToLowerInvariant()) : this[key];
        if (n is null) return null;
        var s = r.Scalar(n, $"`{key}` in {What}");
        if (s is null) return null;
        var names = System.Enum.GetNames<T>().Select(x => x.ToLowerInvariant()).ToArray();
        if (System.Enum.TryParse<T>(s, ignoreCase: true, out var v) && names.Contains(s.ToLowerInvariant())) return v;
        var guess = Vigil.Runbooks.Suggestions.Closest(s, names);
        r.Error(n, $"`{key}`: '{s}' is not one of {string.Join(", ", names)}", guess is not null ? $"did you mean `{guess}`?" : null);
        return null;
    }

    public IReadOnlyList<(string Value, SourcePosition Position)> StrList(string key) =>
        [.. QuotedStrList(key).Select(x => (x.Value, x.Position))];

    /// <summary>Like <see cref="StrList"/>, also telling whether each item was quoted (its text starts one column after its position).</summary>
    public IReadOnlyList<(string Value, SourcePosition Position, bool Quoted)> QuotedStrList(string key)
    {
        var n = this[key];
        if (n is null) return [];
        static bool Quoted(YamlNode node) => node is YamlScalarNode { Style: ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted };
        if (n is YamlScalarNode single && !string.IsNullOrEmpty(single.Value))
        {
            // `notify: ops` is read as `notify: [ops]`: the intent is plain.
            var v = r.Scalar(single, $"`{key}` in {What}");
            return v is null ? [] : [(v, r.Position(single), Quoted(single))];
        }
        var list = new List<(string, SourcePosition, bool)>();
        foreach (var item in r.Sequence(n, $"`{key}` in {What}"))
        {
            if (r.Scalar(item, $"an item of `{key}` in {What}") is { } v) list.Add((v, r.Position(item), Quoted(item)));
        }
        return list;
    }

    public IReadOnlyDictionary<string, string> StrMap(string key, bool secretValues = false)
    {
        var m = r.Map(this[key], $"`{key}` in {What}");
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (m is null) return result;
        foreach (var k in m.Keys)
        {
            if (m.Str(k, secretValues) is { } v) result[k] = v;
        }
        return result;
    }

    public List<T> Items<T>(string key, Func<YamlNode, T?> read) where T : class
    {
        var list = new List<T>();
        foreach (var item in r.Sequence(this[key], $"`{key}` in {What}"))
        {
            if (read(item) is { } v) list.Add(v);
        }
        return list;
    }
}

/// <summary>Byte sizes: <c>1048576</c>, <c>500KB</c>, <c>10MB</c>, <c>2GB</c> (binary multiples).</summary>
public static class Sizes
{
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var s = text.Trim().ToUpperInvariant().Replace(" ", "", StringComparison.Ordinal);
        (string Suffix, long Factor)[] units = [("KIB", 1L << 10), ("MIB", 1L << 20), ("GIB", 1L << 30), ("TIB", 1L << 40), ("KB", 1L << 10), ("MB", 1L << 20), ("GB", 1L << 30), ("TB", 1L << 40), ("K", 1L << 10), ("M", 1L << 20), ("G", 1L << 30), ("B", 1)];
        long factor = 1;
        foreach (var (suffix, f) in units)
        {
            if (s.EndsWith(suffix, StringComparison.Ordinal))
            {
                s = s[..^suffix.Length];
                factor = f;
                break;
            }
        }
        // NumberStyles.Float accepts "NaN" and "Infinity", which are no size at all.
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
            || !double.IsFinite(n) || n < 0 || n * factor >= long.MaxValue)
        {
            return false;
        }
        bytes = (long)(n * factor);
        return true;
    }
}

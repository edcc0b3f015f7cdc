namespace Vigil.Core.Conditions;

/// <summary>The values a probe can fill, written <c>[NAME]</c> in a condition.</summary>
public enum Placeholder
{
    Status,
    ResponseTime,
    Body,
    Header,
    CertificateExpiration,
    Connected,
    Ip,
    DnsRcode,
    Value,
}

/// <summary>A comparison operator: <c>== != &lt; &lt;= &gt; &gt;=</c>.</summary>
public enum ComparisonOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// <summary>Why a condition could not be parsed: where (0-based offset in the text), what, and how to fix it.</summary>
public sealed record ConditionError(int Offset, string Message, string? Hint)
{
    public override string ToString() => Hint is null ? $"{Offset}: {Message}" : $"{Offset}: {Message} ({Hint})";
}

/// <summary>Thrown by <see cref="Condition.Parse"/> for a malformed condition.</summary>
public sealed class ConditionSyntaxException(ConditionError error) : FormatException(error.Hint is null ? error.Message : $"{error.Message} ({error.Hint})")
{
    public ConditionError Error { get; } = error;
}

/// <summary>A placeholder as used in a condition, with where it was written.</summary>
public readonly record struct PlaceholderUse(Placeholder Placeholder, int Offset);

public static class Placeholders
{
    private static readonly Dictionary<string, Placeholder> ByName = new(StringComparer.Ordinal)
    {
        ["STATUS"] = Placeholder.Status,
        ["RESPONSE_TIME"] = Placeholder.ResponseTime,
        ["BODY"] = Placeholder.Body,
        ["HEADER"] = Placeholder.Header,
        ["CERTIFICATE_EXPIRATION"] = Placeholder.CertificateExpiration,
        ["CONNECTED"] = Placeholder.Connected,
        ["IP"] = Placeholder.Ip,
        ["DNS_RCODE"] = Placeholder.DnsRcode,
        ["VALUE"] = Placeholder.Value,
    };

    /// <summary>Every placeholder name as written, without brackets.</summary>
    public static IReadOnlyCollection<string> Names => ByName.Keys;

    public static bool TryParse(string name, out Placeholder placeholder) => ByName.TryGetValue(name, out placeholder);

    /// <summary>The placeholder as written in a condition: <c>[STATUS]</c>.</summary>
    public static string Written(Placeholder placeholder) => placeholder switch
    {
        Placeholder.Status => "[STATUS]",
        Placeholder.ResponseTime => "[RESPONSE_TIME]",
        Placeholder.Body => "[BODY]",
        Placeholder.Header => "[HEADER]",
        Placeholder.CertificateExpiration => "[CERTIFICATE_EXPIRATION]",
        Placeholder.Connected => "[CONNECTED]",
        Placeholder.Ip => "[IP]",
        Placeholder.DnsRcode => "[DNS_RCODE]",
        _ => "[VALUE]",
    };
}

// The syntax tree. Each node keeps the span it was read from, so messages can quote the
// condition as written and errors can point at the offending part.

internal abstract class Operand(int start, int end, string text)
{
    public int Start { get; } = start;
    public int End { get; } = end;
    /// <summary>The operand as written (whitespace inside kept).</summary>
    public string Text { get; } = text;
}

/// <summary>One step of a JSON path: a key (<c>.name</c>) or an index (<c>[0]</c>).</summary>
internal readonly record struct PathStep(string? Key, int Index);

internal sealed class PlaceholderOperand(int start, int end, string text, Placeholder placeholder, string? header, PathStep[] path)
    : Operand(start, end, text)
{
    public Placeholder Placeholder { get; } = placeholder;
    public string? Header { get; } = header;
    public PathStep[] Path { get; } = path;
}

internal enum FunctionKind
{
    Len,
    Has,
}

internal sealed class FunctionOperand(int start, int end, string text, FunctionKind function, PlaceholderOperand argument)
    : Operand(start, end, text)
{
    public FunctionKind Function { get; } = function;
    public PlaceholderOperand Argument { get; } = argument;
}

internal sealed class LiteralOperand(int start, int end, string text, string value, bool quoted)
    : Operand(start, end, text)
{
    public string Value { get; } = value;
    public bool Quoted { get; } = quoted;
    public double? Number { get; } = quoted ? null : ConditionValues.ParseNumber(value);
    public TimeSpan? Duration { get; } = quoted ? null : ConditionValues.ParseDuration(value);
    public bool? Bool { get; } = quoted ? null : value switch { "true" => true, "false" => false, _ => null };
}

internal sealed class PatternOperand(int start, int end, string text, string glob) : Operand(start, end, text)
{
    public string Glob { get; } = glob;
}

internal sealed class AnyOperand(int start, int end, string text, LiteralOperand[] items) : Operand(start, end, text)
{
    public LiteralOperand[] Items { get; } = items;
}

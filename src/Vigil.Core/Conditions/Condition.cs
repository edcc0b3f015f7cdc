using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Vigil.Core.Checks;

namespace Vigil.Core.Conditions;

/// <summary>
/// A parsed Gatus-style condition (<c>[STATUS] == 200</c>, <c>len([BODY].items) &gt; 0</c>).
/// Immutable and thread-safe: parse once, evaluate on every observation.
/// </summary>
public sealed class Condition
{
    private readonly Operand left;
    private readonly Operand right;
    private readonly string opText;

    internal Condition(string text, Operand left, ComparisonOperator op, Operand right)
    {
        Text = text;
        this.left = left;
        this.right = right;
        Operator = op;
        opText = op switch
        {
            ComparisonOperator.Equal => "==",
            ComparisonOperator.NotEqual => "!=",
            ComparisonOperator.Less => "<",
            ComparisonOperator.LessOrEqual => "<=",
            ComparisonOperator.Greater => ">",
            _ => ">=",
        };
        var uses = new List<PlaceholderUse>();
        Collect(left, uses);
        Collect(right, uses);
        Placeholders = uses;
        UsesJsonPath = uses.Count > 0 && new[] { left, right }.Any(o => PathOf(o) is { Path.Length: > 0 });
        TestsDisconnected = left is PlaceholderOperand { Placeholder: Placeholder.Connected } && right is LiteralOperand { Bool: { } b }
            && (op == ComparisonOperator.Equal ? !b : b);
    }

    /// <summary>The condition as written.</summary>
    public string Text { get; }

    public ComparisonOperator Operator { get; }

    /// <summary>Every placeholder the condition reads, with its offset in <see cref="Text"/>.</summary>
    public IReadOnlyList<PlaceholderUse> Placeholders { get; }

    /// <summary>Whether evaluating needs the body parsed as JSON (<c>[BODY].a.b</c>).</summary>
    public bool UsesJsonPath { get; }

    /// <summary><c>[CONNECTED] == false</c>: the check expects the target to be unreachable, so a probe error is what it tests.</summary>
    public bool TestsDisconnected { get; }

    /// <summary>Parses a condition; throws <see cref="ConditionSyntaxException"/> saying where and why it is malformed.</summary>
    public static Condition Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ConditionParser.Parse(text);
    }

    public static bool TryParse(string text, [NotNullWhen(true)] out Condition? condition, [NotNullWhen(false)] out ConditionError? error)
    {
        try
        {
            condition = Parse(text);
            error = null;
            return true;
        }
        catch (ConditionSyntaxException e)
        {
            condition = null;
            error = e.Error;
            return false;
        }
    }

    /// <summary>Evaluates against one observation; the message shows the values seen.</summary>
    public ConditionOutcome Evaluate(Observation observation, bool warn = false)
    {
        using var view = new ObservationView(observation);
        return Evaluate(view, warn);
    }

    internal ConditionOutcome Evaluate(ObservationView view, bool warn)
    {
        var l = Resolve(left, view);
        var r = right is PatternOperand or AnyOperand ? default : Resolve(right, view);
        var failure = l.Failure ?? r.Failure;
        if (failure is not null) return new ConditionOutcome(Text, false, $"{Text.Trim()}: {failure}", warn);
        bool ok;
        switch (right)
        {
            case PatternOperand pat:
                ok = ConditionValues.Glob(pat.Glob, l.Text) == (Operator == ComparisonOperator.Equal);
                break;
            case AnyOperand any:
                ok = any.Items.Any(i => Value.Equal(l, Value.Of(i))) == (Operator == ComparisonOperator.Equal);
                break;
            default:
                if (Operator is ComparisonOperator.Equal or ComparisonOperator.NotEqual)
                {
                    ok = Value.Equal(l, r) == (Operator == ComparisonOperator.Equal);
                    break;
                }
                var ln = l.AsNumber();
                var rn = r.AsNumber();
                if (ln is null || rn is null)
                {
                    var bad = ln is null ? l : r;
                    return new ConditionOutcome(Text, false, $"{Text.Trim()}: '{ConditionValues.Shorten(bad.Text)}' is not a number", warn);
                }
                ok = Operator switch
                {
                    ComparisonOperator.Less => ln < rn,
                    ComparisonOperator.LessOrEqual => ln <= rn,
                    ComparisonOperator.Greater => ln > rn,
                    _ => ln >= rn,
                };
                break;
        }
        return new ConditionOutcome(Text, ok, $"{Show(left, l)} {opText} {Show(right, r)}", warn);
    }

    public override string ToString() => Text;

    private static string Show(Operand o, Value v) =>
        o is PlaceholderOperand or FunctionOperand ? $"{o.Text} ({v.Display})" : o.Text;

    private static PlaceholderOperand? PathOf(Operand o) => o switch
    {
        PlaceholderOperand p => p,
        FunctionOperand f => f.Argument,
        _ => null,
    };

    private static void Collect(Operand o, List<PlaceholderUse> uses)
    {
        if (PathOf(o) is { } p) uses.Add(new PlaceholderUse(p.Placeholder, p.Start));
    }

    private static Value Resolve(Operand o, ObservationView view) => o switch
    {
        PlaceholderOperand p => ResolvePlaceholder(p, view),
        FunctionOperand { Function: FunctionKind.Len } f => Len(ResolvePlaceholder(f.Argument, view)),
        FunctionOperand f => Has(f.Argument, view),
        LiteralOperand lit => Value.Of(lit),
        _ => default,
    };

    private static Value Len(Value v) =>
        v.Failure is not null ? v : Value.Number(v.Count ?? v.Text.Length);

    private static Value Has(PlaceholderOperand p, ObservationView view)
    {
        if (p.Placeholder == Placeholder.Body && p.Path.Length > 0)
        {
            if (view.Observation.Body is null) return Value.Fail("this probe saw no [BODY]");
            return Value.Boolean(view.Json is { } root && Walk(root, p.Path) is not null);
        }
        return Value.Boolean(ResolvePlaceholder(p, view).Failure is null);
    }

    private static Value ResolvePlaceholder(PlaceholderOperand p, ObservationView view)
    {
        var o = view.Observation;
        switch (p.Placeholder)
        {
            case Placeholder.Status:
                return o.Status is { } status ? Value.Number(status) : Missing(p);
            case Placeholder.ResponseTime:
                return Value.Number(Math.Round(o.ResponseTime.TotalMilliseconds));
            case Placeholder.Connected:
                return Value.Boolean(o.Connected);
            case Placeholder.CertificateExpiration:
                return o.CertificateExpiration is { } left ? Value.Duration(left) : Value.Fail("this probe saw no certificate");
            case Placeholder.Ip:
                return o.Ip is { } ip ? Value.String(ip) : Missing(p);
            case Placeholder.DnsRcode:
                return o.DnsRcode is { } rcode ? Value.String(rcode) : Missing(p);
            case Placeholder.Value:
                return o.Value is { } value ? Value.Number(value) : Missing(p);
            case Placeholder.Header:
                return o.Headers.TryGetValue(p.Header!, out var h) ? Value.String(h) : Value.Fail($"the response has no `{p.Header}` header");
            default:
                if (o.Body is null) return Missing(p);
                if (p.Path.Length == 0) return Value.String(o.Body);
                if (view.Json is not { } root) return Value.Fail($"the body is not JSON ('{ConditionValues.Shorten(o.Body)}')");
                return Walk(root, p.Path) is { } e ? Value.Json(e) : Value.Fail($"{p.Text} is not in the body");
        }
    }

    private static Value Missing(PlaceholderOperand p) => Value.Fail($"this probe saw no {Conditions.Placeholders.Written(p.Placeholder)}");

    private static JsonElement? Walk(JsonElement e, PathStep[] path)
    {
        foreach (var step in path)
        {
            if (step.Key is { } key)
            {
                if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(key, out e)) return null;
            }
            else
            {
                if (e.ValueKind != JsonValueKind.Array || step.Index >= e.GetArrayLength()) return null;
                e = e[step.Index];
            }
        }
        return e;
    }
}

/// <summary>One observation while its conditions are evaluated: the body is parsed as JSON at most once, and only if a condition needs it.</summary>
internal sealed class ObservationView(Observation observation) : IDisposable
{
    private JsonDocument? document;
    private bool parsed;

    public Observation Observation { get; } = observation;

    /// <summary>The body's JSON root, or null when there is no body or it is not JSON.</summary>
    public JsonElement? Json
    {
        get
        {
            if (!parsed)
            {
                parsed = true;
                if (Observation.Body is { } body)
                {
                    try
                    {
                        document = JsonDocument.Parse(body);
                    }
                    catch (JsonException)
                    {
                        document = null;
                    }
                }
            }
            return document?.RootElement;
        }
    }

    public void Dispose() => document?.Dispose();
}

internal enum ValueKind
{
    Text,
    Number,
    Bool,
    Duration,
}

/// <summary>A value a condition compares, or why there is none.</summary>
internal readonly record struct Value(ValueKind Kind, string Text, double Num, TimeSpan Span, bool Flag, int? Count, string? Failure)
{
    public static Value Fail(string why) => new(ValueKind.Text, "", 0, default, false, null, why);

    public static Value String(string s) => new(ValueKind.Text, s, 0, default, false, null, null);

    public static Value Number(double n) => new(ValueKind.Number, ConditionValues.FormatNumber(n), n, default, false, null, null);

    public static Value Boolean(bool b) => new(ValueKind.Bool, b ? "true" : "false", 0, default, b, null, null);

    public static Value Duration(TimeSpan t) => new(ValueKind.Duration, ConditionValues.FormatDuration(t), 0, t, false, null, null);

    public static Value Json(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => String(e.GetString() ?? ""),
        // A number too large for a double stays text: compared with `<` it fails as "not a number".
        JsonValueKind.Number => e.TryGetDouble(out var n) && double.IsFinite(n)
            ? new(ValueKind.Number, e.GetRawText(), n, default, false, null, null)
            : String(e.GetRawText()),
        JsonValueKind.True => Boolean(true),
        JsonValueKind.False => Boolean(false),
        JsonValueKind.Array => String(e.GetRawText()) with { Count = e.GetArrayLength() },
        JsonValueKind.Object => String(e.GetRawText()) with { Count = e.EnumerateObject().Count() },
        _ => String("null"),
    };

    public static Value Of(LiteralOperand lit) =>
        lit.Number is { } n ? new(ValueKind.Number, lit.Value, n, default, false, null, null)
        : lit.Duration is { } d ? new(ValueKind.Duration, lit.Value, 0, d, false, null, null)
        : lit.Bool is { } b ? Boolean(b)
        : String(lit.Value);

    public string Display => Kind == ValueKind.Text ? ConditionValues.Shorten(Text) : Text;

    public double? AsNumber() => Kind switch
    {
        ValueKind.Number => Num,
        ValueKind.Duration => Span.TotalMilliseconds,
        ValueKind.Text => ConditionValues.ParseNumber(Text),
        _ => null,
    };

    /// <summary>Numbers (and durations, in ms) compare as numbers, booleans as booleans, everything else as case-sensitive text.</summary>
    public static bool Equal(Value a, Value b)
    {
        if (a.Kind == ValueKind.Bool && b.Kind == ValueKind.Bool) return a.Flag == b.Flag;
        if (a.Kind != ValueKind.Bool && b.Kind != ValueKind.Bool && a.AsNumber() is { } x && b.AsNumber() is { } y)
        {
            return x.Equals(y);
        }
        return string.Equals(a.Text, b.Text, StringComparison.Ordinal);
    }
}

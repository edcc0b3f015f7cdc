using Vigil.Runbooks;

namespace Vigil.Core.Conditions;

/// <summary>
/// Recursive descent over the condition text. The grammar is small and context-dependent
/// (a glob inside <c>pat()</c> may hold any character, a dot after <c>[BODY]</c> starts a
/// JSON path but is part of <c>127.0.0.1</c>), so the scanner reads one token at a time
/// as the parser asks for it:
/// <code>
/// condition   := operand operator (pattern | any | operand) END
/// operand     := placeholder | function | literal
/// placeholder := '[' NAME ']' ( '.' KEY | '[' DIGITS ']' )*        (paths on [BODY], '.' NAME on [HEADER])
/// function    := ('len' | 'has') '(' placeholder ')'
/// pattern     := 'pat' '(' GLOB ')'
/// any         := 'any' '(' literal (',' literal)* ')'
/// literal     := QUOTED | WORD
/// </code>
/// </summary>
internal sealed class ConditionParser
{
    private static readonly string[] FunctionNames = ["len", "has", "pat", "any"];
    private const string Example = "write e.g. `[STATUS] == 200`";

    private readonly string s;
    private int pos;

    private ConditionParser(string text) => s = text;

    public static Condition Parse(string text)
    {
        var p = new ConditionParser(text);
        return p.ParseCondition();
    }

    private Condition ParseCondition()
    {
        SkipSpace();
        if (pos == s.Length) throw Fail(0, "the condition is empty", Example);
        if (IsOperatorChar(s[pos]))
        {
            var end = pos;
            while (end < s.Length && IsOperatorChar(s[end])) end++;
            throw Fail(pos, $"the condition starts with `{s[pos..end]}`: the left side is missing", Example);
        }
        var left = ParseOperand(rightSide: false);
        SkipSpace();
        var opAt = pos;
        var op = ParseOperator(left);
        var opText = s[opAt..pos];
        SkipSpace();
        if (pos == s.Length) throw Fail(pos, $"nothing to compare with after `{opText}`", $"write a value after it, e.g. `{left.Text} {opText} 200`");
        var right = ParseOperand(rightSide: true);
        SkipSpace();
        if (pos < s.Length)
        {
            if (s[pos] == ')') throw Fail(pos, "unbalanced parenthesis: `)` without `(`", "remove it, or open it: `len([BODY].items)`");
            if (s[pos] == ']') throw Fail(pos, "unbalanced bracket: `]` without `[`", "remove it, or open it: `[BODY].items[0]`");
            var rest = s[pos..].TrimEnd();
            var anotherCondition = rest.Any(c => IsOperatorChar(c) || c is '[' or '&' or '|');
            var hint = right is LiteralOperand { Quoted: false } && !anotherCondition
                ? $"quote a value with spaces: `{left.Text} {opText} \"{right.Text} {rest}\"`; write one condition per list item"
                : "write one condition per list item; all of them must hold";
            throw Fail(pos, $"unexpected `{rest}` after the condition", hint);
        }
        Check(left, op, opText, right);
        return new Condition(s, left, op, right);
    }

    private static bool IsOperatorChar(char c) => c is '=' or '!' or '<' or '>';

    // A bare word ends at whitespace, an operator, a bracket, a parenthesis or a comma.
    private static bool IsWordChar(char c) => !char.IsWhiteSpace(c) && !IsOperatorChar(c) && c is not ('(' or ')' or '[' or ']' or ',');

    private static bool IsKeyChar(char c) => IsWordChar(c) && c != '.';

    private void SkipSpace()
    {
        while (pos < s.Length && char.IsWhiteSpace(s[pos])) pos++;
    }

    private static ConditionSyntaxException Fail(int offset, string message, string? hint) => new(new ConditionError(offset, message, hint));

    private ComparisonOperator ParseOperator(Operand left)
    {
        var at = pos;
        string Two() => pos + 1 < s.Length ? s.Substring(pos, 2) : pos < s.Length ? s[pos..] : "";
        var two = Two();
        (ComparisonOperator Op, int Length)? found = two switch
        {
            "==" => (ComparisonOperator.Equal, 2),
            "!=" => (ComparisonOperator.NotEqual, 2),
            "<=" => (ComparisonOperator.LessOrEqual, 2),
            ">=" => (ComparisonOperator.GreaterOrEqual, 2),
            "=>" => throw Fail(at, "`=>` is not an operator", "use `>=`"),
            "=<" => throw Fail(at, "`=<` is not an operator", "use `<=`"),
            "<>" => throw Fail(at, "`<>` is not an operator", "use `!=`"),
            _ => null,
        };
        if (found is null && pos < s.Length)
        {
            found = s[pos] switch
            {
                '<' => (ComparisonOperator.Less, 1),
                '>' => (ComparisonOperator.Greater, 1),
                '=' => throw Fail(at, "`=` is not an operator", "use `==` to compare"),
                '!' => throw Fail(at, "`!` is not an operator", "use `!=` to compare"),
                _ => null,
            };
        }
        if (found is not { } f)
        {
            throw Fail(at, $"missing operator after `{left.Text}`", $"use ==, !=, <, <=, > or >=, e.g. `{left.Text} == 200`");
        }
        pos += f.Length;
        if (pos < s.Length && IsOperatorChar(s[pos]) && s[pos] != '!')
        {
            throw Fail(at, $"`{s[at..(pos + 1)]}` is not an operator", "use ==, !=, <, <=, > or >=");
        }
        return f.Op;
    }

    private Operand ParseOperand(bool rightSide)
    {
        var start = pos;
        var c = s[pos];
        if (c == '[') return ParsePlaceholder();
        if (c is '"' or '\'') return ParseQuoted();
        if (c == ')') throw Fail(pos, "unbalanced parenthesis: `)` without `(`", Example);
        if (c == ']') throw Fail(pos, "unbalanced bracket: `]` without `[`", Example);
        if (c is '(' or ',') throw Fail(pos, $"unexpected `{c}`", Example);
        if (IsOperatorChar(c)) throw Fail(pos, $"unexpected `{c}`: a value is missing before it", Example);
        while (pos < s.Length && IsWordChar(s[pos])) pos++;
        var word = s[start..pos];
        if (pos < s.Length && s[pos] == '(')
        {
            switch (word)
            {
                case "len":
                case "has":
                    return ParseFunction(start, word == "len" ? FunctionKind.Len : FunctionKind.Has);
                case "pat":
                case "any":
                    if (!rightSide)
                    {
                        throw Fail(start, $"{word}() goes on the right side of == or !=",
                            word == "pat" ? "write `[BODY] == pat(*healthy*)`" : "write `[STATUS] == any(200, 204)`");
                    }
                    return word == "pat" ? ParsePattern(start) : ParseAny(start);
                default:
                    var guess = Suggestions.Closest(word, FunctionNames) ?? FunctionNames.FirstOrDefault(f => word.StartsWith(f, StringComparison.OrdinalIgnoreCase));
                    throw Fail(start, $"unknown function `{word}()`", guess is not null ? $"did you mean `{guess}()`?" : "use len(), has(), pat() or any()");
            }
        }
        return new LiteralOperand(start, pos, word, word, quoted: false);
    }

    private LiteralOperand ParseQuoted()
    {
        var start = pos;
        var quote = s[pos];
        var close = s.IndexOf(quote, pos + 1);
        if (close < 0) throw Fail(start, $"unclosed quote `{quote}`", $"close the value with `{quote}`");
        pos = close + 1;
        return new LiteralOperand(start, pos, s[start..pos], s[(start + 1)..close], quoted: true);
    }

    private PlaceholderOperand ParsePlaceholder()
    {
        var start = pos;
        var close = pos + 1;
        while (close < s.Length && (char.IsAsciiLetterOrDigit(s[close]) || s[close] == '_')) close++;
        if (close >= s.Length || s[close] != ']')
        {
            throw Fail(start, "unbalanced bracket: `[` is not closed", $"close the placeholder: `{s[start..close]}]`");
        }
        var name = s[(start + 1)..close];
        if (!Placeholders.TryParse(name, out var placeholder))
        {
            var guess = Suggestions.Closest(name, Placeholders.Names);
            throw Fail(start, $"unknown placeholder `[{name}]`",
                guess is not null ? $"did you mean `[{guess}]`?" : $"use one of {string.Join(", ", Placeholders.Names.Select(n => $"[{n}]"))}");
        }
        pos = close + 1;
        string? header = null;
        var path = new List<PathStep>();
        switch (placeholder)
        {
            case Placeholder.Header:
                if (pos >= s.Length || s[pos] != '.')
                {
                    throw Fail(pos, "[HEADER] needs a header name", "write `[HEADER].Content-Type`");
                }
                var nameStart = ++pos;
                while (pos < s.Length && (char.IsAsciiLetterOrDigit(s[pos]) || s[pos] is '-' or '_')) pos++;
                if (pos == nameStart) throw Fail(nameStart, "[HEADER] needs a header name after the dot", "write `[HEADER].Content-Type`");
                header = s[nameStart..pos];
                break;
            case Placeholder.Body:
                ParsePath(path);
                break;
            default:
                if (pos < s.Length && s[pos] is '.' or '[')
                {
                    throw Fail(pos, $"`[{name}]` has no fields", "only [BODY] takes a JSON path (`[BODY].a.b[0]`) and [HEADER] a header name (`[HEADER].Name`)");
                }
                break;
        }
        return new PlaceholderOperand(start, pos, s[start..pos], placeholder, header, [.. path]);
    }

    private void ParsePath(List<PathStep> path)
    {
        while (pos < s.Length)
        {
            if (s[pos] == '.')
            {
                var keyStart = ++pos;
                while (pos < s.Length && IsKeyChar(s[pos])) pos++;
                if (pos == keyStart) throw Fail(keyStart - 1, "a JSON path needs a key after `.`", "write `[BODY].status` or `[BODY].items[0].id`");
                path.Add(new PathStep(s[keyStart..pos], 0));
            }
            else if (s[pos] == '[')
            {
                var open = pos;
                var close = s.IndexOf(']', pos);
                if (close < 0) throw Fail(open, "unbalanced bracket: `[` is not closed", "write an index as `[0]`");
                var digits = s[(open + 1)..close].Trim();
                if (digits.Length == 0 || !digits.All(char.IsAsciiDigit) || !int.TryParse(digits, out var index))
                {
                    throw Fail(open + 1, $"`[{digits}]` is not an array index", "an index is a whole number, e.g. `[BODY].items[0]`; write keys with a dot: `[BODY].items.name`");
                }
                path.Add(new PathStep(null, index));
                pos = close + 1;
            }
            else
            {
                break;
            }
        }
    }

    private FunctionOperand ParseFunction(int start, FunctionKind kind)
    {
        var open = pos++;
        var name = kind == FunctionKind.Len ? "len" : "has";
        SkipSpace();
        if (pos >= s.Length || s[pos] != '[')
        {
            if (pos >= s.Length) throw Fail(open, "unbalanced parenthesis: `(` is not closed", $"write `{name}([BODY].items)`");
            throw Fail(pos, $"{name}() takes a placeholder", $"write `{name}([BODY].items)`");
        }
        var argument = ParsePlaceholder();
        SkipSpace();
        if (pos >= s.Length) throw Fail(open, "unbalanced parenthesis: `(` is not closed", $"close it: `{s[start..pos]})`");
        if (s[pos] != ')')
        {
            if (s.IndexOf(')', pos) < 0) throw Fail(open, "unbalanced parenthesis: `(` is not closed", $"close it: `{s[start..argument.End]})`");
            throw Fail(pos, $"{name}() takes one placeholder; unexpected `{s[pos]}`", $"write `{name}({argument.Text})`");
        }
        pos++;
        return new FunctionOperand(start, pos, s[start..pos], kind, argument);
    }

    // The glob runs to the matching `)`, so it may hold spaces, quotes and operators.
    private PatternOperand ParsePattern(int start)
    {
        var open = pos;
        var depth = 0;
        for (; pos < s.Length; pos++)
        {
            if (s[pos] == '(') depth++;
            else if (s[pos] == ')' && --depth == 0) break;
        }
        if (pos >= s.Length) throw Fail(open, "unbalanced parenthesis: `(` is not closed", "close the pattern: `pat(*healthy*)`");
        var glob = s[(open + 1)..pos].Trim();
        pos++;
        if (glob.Length >= 2 && glob[0] is '"' or '\'' && glob[^1] == glob[0]) glob = glob[1..^1];
        if (glob.Length == 0) throw Fail(open + 1, "pat() needs a pattern", "`*` matches any text and `?` one character: `pat(*healthy*)`");
        return new PatternOperand(start, pos, s[start..pos], glob);
    }

    private AnyOperand ParseAny(int start)
    {
        var open = pos++;
        var items = new List<LiteralOperand>();
        while (true)
        {
            SkipSpace();
            if (pos >= s.Length) throw Fail(open, "unbalanced parenthesis: `(` is not closed", "close the list: `any(200, 204)`");
            var c = s[pos];
            if (c is ',' or ')') throw Fail(pos, "any() has an empty value", "list values separated by commas: `any(200, 204)`");
            var item = c is '"' or '\'' ? ParseQuoted() : ParseWord();
            if (item.Text.Length == 0) throw Fail(pos, $"unexpected `{c}` in any()", "list values separated by commas: `any(200, 204)`");
            items.Add(item);
            SkipSpace();
            if (pos >= s.Length) throw Fail(open, "unbalanced parenthesis: `(` is not closed", "close the list: `any(200, 204)`");
            if (s[pos] == ')')
            {
                pos++;
                return new AnyOperand(start, pos, s[start..pos], [.. items]);
            }
            if (s[pos] != ',') throw Fail(pos, $"unexpected `{s[pos]}` in any()", "list values separated by commas: `any(200, 204)`; quote values with spaces");
            pos++;
        }
    }

    private LiteralOperand ParseWord()
    {
        var start = pos;
        while (pos < s.Length && IsWordChar(s[pos])) pos++;
        return new LiteralOperand(start, pos, s[start..pos], s[start..pos], quoted: false);
    }

    // Checks that need both sides: what compares with what.
    private static void Check(Operand left, ComparisonOperator op, string opText, Operand right)
    {
        if (!Mentions(left) && !Mentions(right))
        {
            var word = (left as LiteralOperand)?.Value.Trim('[', ']') ?? "";
            var guess = Placeholders.Names.FirstOrDefault(n => string.Equals(n, word, StringComparison.OrdinalIgnoreCase));
            throw Fail(left.Start, "the condition compares no placeholder",
                guess is not null ? $"did you mean `[{guess}]`?" : $"compare a placeholder with a value, e.g. `[STATUS] {opText} 200`");
        }
        var ordering = op is not (ComparisonOperator.Equal or ComparisonOperator.NotEqual);
        if (ordering && right is PatternOperand or AnyOperand)
        {
            var name = right is PatternOperand ? "pat()" : "any()";
            throw Fail(right.Start, $"{name} works only with == and !=", $"write `{left.Text} == {right.Text}`");
        }
        CheckPair(left, right, ordering, opText);
        CheckPair(right, left, ordering, opText);
        if (right is AnyOperand any)
        {
            foreach (var item in any.Items) CheckPair(item, left, ordering, opText);
        }
    }

    private static bool Mentions(Operand o) => o is PlaceholderOperand or FunctionOperand;

    private static void CheckPair(Operand value, Operand other, bool ordering, string opText)
    {
        if (value is not LiteralOperand lit) return;
        if (lit.Duration is not null && lit.Number is null)
        {
            var ok = other is PlaceholderOperand { Placeholder: Placeholder.CertificateExpiration or Placeholder.ResponseTime };
            if (!ok && Mentions(other))
            {
                throw Fail(lit.Start, $"a duration ({lit.Value}) compares only with [CERTIFICATE_EXPIRATION] or [RESPONSE_TIME], not `{other.Text}`",
                    $"`{other.Text}` is not a duration; compare it with a plain number or text");
            }
        }
        if (other is FunctionOperand { Function: FunctionKind.Has } or PlaceholderOperand { Placeholder: Placeholder.Connected })
        {
            if (ordering) throw Fail(other.Start, $"`{other.Text}` is true or false; `{opText}` compares numbers", $"write `{other.Text} == true`");
            if (lit.Bool is null) throw Fail(lit.Start, $"`{other.Text}` is true or false, never `{lit.Text}`", $"write `{other.Text} == true` or `== false`");
            return;
        }
        if (ordering && Mentions(other) && lit.Number is null && lit.Duration is null)
        {
            throw Fail(lit.Start, $"`{opText}` compares numbers, and `{lit.Text}` is not a number", "use == or != to compare text");
        }
    }
}

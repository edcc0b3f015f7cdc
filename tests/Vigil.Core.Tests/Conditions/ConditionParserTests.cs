using Vigil.Core.Conditions;

namespace Vigil.Core.Tests.Conditions;

// Every malformed condition is reported with the 0-based offset of the offending character,
// a message saying what is wrong and a hint saying how to write it.
public sealed class ConditionParserTests
{
    private static void AssertError(string condition, int offset, string message, string? hint)
    {
        var ex = Assert.Throws<ConditionSyntaxException>(() => Condition.Parse(condition));
        Assert.Equal(message, ex.Error.Message);
        Assert.Equal(hint, ex.Error.Hint);
        Assert.Equal(offset, ex.Error.Offset);
    }

    [Theory]
    [InlineData("[STATUS] == 200", Placeholder.Status)]
    [InlineData("[RESPONSE_TIME] < 300", Placeholder.ResponseTime)]
    [InlineData("[BODY] == ok", Placeholder.Body)]
    [InlineData("[BODY].a.b[0].c == 1", Placeholder.Body)]
    [InlineData("[BODY][0].id == 1", Placeholder.Body)]
    [InlineData("[HEADER].Content-Type == application/json", Placeholder.Header)]
    [InlineData("[CERTIFICATE_EXPIRATION] > 720h", Placeholder.CertificateExpiration)]
    [InlineData("[CONNECTED] == true", Placeholder.Connected)]
    [InlineData("[IP] == 127.0.0.1", Placeholder.Ip)]
    [InlineData("[DNS_RCODE] == NOERROR", Placeholder.DnsRcode)]
    [InlineData("[VALUE] >= 1.5", Placeholder.Value)]
    [InlineData("len([BODY].items) > 0", Placeholder.Body)]
    [InlineData("has([BODY].errors) == false", Placeholder.Body)]
    [InlineData("[BODY] == pat(*healthy*)", Placeholder.Body)]
    [InlineData("[STATUS] == any(200, 201)", Placeholder.Status)]
    public void Every_placeholder_and_function_parses(string text, Placeholder expected)
    {
        var c = Condition.Parse(text);
        Assert.Equal(expected, Assert.Single(c.Placeholders).Placeholder);
        Assert.Equal(text, c.Text);
    }

    [Theory]
    [InlineData("[VALUE] == 1", ComparisonOperator.Equal)]
    [InlineData("[VALUE] != 1", ComparisonOperator.NotEqual)]
    [InlineData("[VALUE] < 1", ComparisonOperator.Less)]
    [InlineData("[VALUE] <= 1", ComparisonOperator.LessOrEqual)]
    [InlineData("[VALUE] > 1", ComparisonOperator.Greater)]
    [InlineData("[VALUE] >= 1", ComparisonOperator.GreaterOrEqual)]
    [InlineData("[VALUE]>=1", ComparisonOperator.GreaterOrEqual)]
    public void Every_operator_parses_with_or_without_spaces(string text, ComparisonOperator op) =>
        Assert.Equal(op, Condition.Parse(text).Operator);

    [Fact]
    public void Placeholder_offsets_point_at_the_bracket() =>
        Assert.Equal(4, Assert.Single(Condition.Parse("len([BODY].items) > 0").Placeholders).Offset);

    [Fact]
    public void Only_a_json_path_asks_for_the_body_to_be_parsed()
    {
        Assert.True(Condition.Parse("[BODY].status == ok").UsesJsonPath);
        Assert.True(Condition.Parse("len([BODY][0]) == 1").UsesJsonPath);
        Assert.False(Condition.Parse("[BODY] == ok").UsesJsonPath);
        Assert.False(Condition.Parse("[STATUS] == 200").UsesJsonPath);
    }

    [Fact]
    public void Unknown_placeholder_suggests_the_closest() =>
        AssertError("[STATS] == 200", 0, "unknown placeholder `[STATS]`", "did you mean `[STATUS]`?");

    [Fact]
    public void Lowercase_placeholder_suggests_the_uppercase_one() =>
        AssertError("[status] == 200", 0, "unknown placeholder `[status]`", "did you mean `[STATUS]`?");

    [Fact]
    public void Placeholder_far_from_any_known_lists_them_all()
    {
        var ex = Assert.Throws<ConditionSyntaxException>(() => Condition.Parse("[XYZZY_PLUGH] == 1"));
        Assert.StartsWith("use one of [STATUS], [RESPONSE_TIME]", ex.Error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Bare_placeholder_name_without_brackets_suggests_the_brackets() =>
        AssertError("STATUS == 200", 0, "the condition compares no placeholder", "did you mean `[STATUS]`?");

    [Fact]
    public void Missing_operator_points_after_the_left_side() =>
        AssertError("[STATUS] 200", 9, "missing operator after `[STATUS]`", "use ==, !=, <, <=, > or >=, e.g. `[STATUS] == 200`");

    [Fact]
    public void Missing_operator_at_the_end_points_at_the_end() =>
        AssertError("[STATUS]", 8, "missing operator after `[STATUS]`", "use ==, !=, <, <=, > or >=, e.g. `[STATUS] == 200`");

    [Fact]
    public void Single_equals_sign_suggests_double() =>
        AssertError("[STATUS] = 200", 9, "`=` is not an operator", "use `==` to compare");

    [Fact]
    public void Arrow_like_operator_suggests_the_real_one() =>
        AssertError("[VALUE] => 5", 8, "`=>` is not an operator", "use `>=`");

    [Fact]
    public void Missing_right_side_is_reported_at_the_end() =>
        AssertError("[STATUS] ==", 11, "nothing to compare with after `==`", "write a value after it, e.g. `[STATUS] == 200`");

    [Fact]
    public void Missing_left_side_is_reported_at_the_start() =>
        AssertError("== 200", 0, "the condition starts with `==`: the left side is missing", "write e.g. `[STATUS] == 200`");

    [Fact]
    public void Empty_condition_is_an_error() =>
        AssertError("   ", 0, "the condition is empty", "write e.g. `[STATUS] == 200`");

    [Fact]
    public void Unclosed_placeholder_bracket_points_at_the_bracket() =>
        AssertError("[STATUS == 200", 0, "unbalanced bracket: `[` is not closed", "close the placeholder: `[STATUS]`");

    [Fact]
    public void Unclosed_index_bracket_points_at_the_bracket() =>
        AssertError("[BODY].items[0 == 1", 12, "unbalanced bracket: `[` is not closed", "write an index as `[0]`");

    [Fact]
    public void Non_numeric_index_is_an_error() =>
        AssertError("[BODY].items[x] == 1", 13, "`[x]` is not an array index", "an index is a whole number, e.g. `[BODY].items[0]`; write keys with a dot: `[BODY].items.name`");

    [Fact]
    public void Unclosed_function_parenthesis_points_at_the_parenthesis() =>
        AssertError("len([BODY].items > 0", 3, "unbalanced parenthesis: `(` is not closed", "close it: `len([BODY].items)`");

    [Fact]
    public void Second_argument_to_len_is_an_error() =>
        AssertError("len([BODY], [STATUS]) > 0", 10, "len() takes one placeholder; unexpected `,`", "write `len([BODY])`");

    [Fact]
    public void Unclosed_parenthesis_at_the_end_points_at_the_parenthesis() =>
        AssertError("[BODY] == pat(*ok*", 13, "unbalanced parenthesis: `(` is not closed", "close the pattern: `pat(*healthy*)`");

    [Fact]
    public void Unclosed_any_list_points_at_the_parenthesis() =>
        AssertError("[STATUS] == any(200, 201", 15, "unbalanced parenthesis: `(` is not closed", "close the list: `any(200, 204)`");

    [Fact]
    public void Stray_closing_parenthesis_is_an_error() =>
        AssertError("[STATUS] == 200)", 15, "unbalanced parenthesis: `)` without `(`", "remove it, or open it: `len([BODY].items)`");

    [Fact]
    public void Pattern_on_the_left_side_is_an_error() =>
        AssertError("pat(*ok*) == [BODY]", 0, "pat() goes on the right side of == or !=", "write `[BODY] == pat(*healthy*)`");

    [Fact]
    public void Any_on_the_left_side_is_an_error() =>
        AssertError("any(200, 204) == [STATUS]", 0, "any() goes on the right side of == or !=", "write `[STATUS] == any(200, 204)`");

    [Fact]
    public void Pattern_with_an_ordering_operator_is_an_error() =>
        AssertError("[BODY] < pat(*ok*)", 9, "pat() works only with == and !=", "write `[BODY] == pat(*ok*)`");

    [Fact]
    public void Any_with_an_ordering_operator_is_an_error() =>
        AssertError("[STATUS] > any(200, 204)", 11, "any() works only with == and !=", "write `[STATUS] == any(200, 204)`");

    [Fact]
    public void Empty_value_in_any_is_an_error() =>
        AssertError("[STATUS] == any(200, , 204)", 21, "any() has an empty value", "list values separated by commas: `any(200, 204)`");

    [Fact]
    public void Duration_compared_with_a_non_duration_placeholder_is_an_error() =>
        AssertError("[STATUS] > 720h", 11, "a duration (720h) compares only with [CERTIFICATE_EXPIRATION] or [RESPONSE_TIME], not `[STATUS]`",
            "`[STATUS]` is not a duration; compare it with a plain number or text");

    [Fact]
    public void Duration_compared_with_len_is_an_error() =>
        AssertError("len([BODY]) < 5s", 14, "a duration (5s) compares only with [CERTIFICATE_EXPIRATION] or [RESPONSE_TIME], not `len([BODY])`",
            "`len([BODY])` is not a duration; compare it with a plain number or text");

    [Fact]
    public void Ordering_against_text_is_an_error() =>
        AssertError("[VALUE] > high", 10, "`>` compares numbers, and `high` is not a number", "use == or != to compare text");

    [Fact]
    public void Connected_compared_with_a_non_boolean_is_an_error() =>
        AssertError("[CONNECTED] == yes", 15, "`[CONNECTED]` is true or false, never `yes`", "write `[CONNECTED] == true` or `== false`");

    [Fact]
    public void Has_compared_with_a_non_boolean_is_an_error() =>
        AssertError("has([BODY].errors) == 0", 22, "`has([BODY].errors)` is true or false, never `0`", "write `has([BODY].errors) == true` or `== false`");

    [Fact]
    public void Trailing_garbage_suggests_quoting() =>
        AssertError("[BODY] == hello world", 16, "unexpected `world` after the condition",
            "quote a value with spaces: `[BODY] == \"hello world\"`; write one condition per list item");

    [Fact]
    public void Two_conditions_in_one_item_are_trailing_garbage() =>
        AssertError("[STATUS] == 200 && [BODY] == ok", 16, "unexpected `&& [BODY] == ok` after the condition",
            "write one condition per list item; all of them must hold");

    [Fact]
    public void Unknown_function_suggests_the_closest() =>
        AssertError("length([BODY]) > 0", 0, "unknown function `length()`", "did you mean `len()`?");

    [Fact]
    public void Len_of_a_literal_is_an_error() =>
        AssertError("len(abc) > 0", 4, "len() takes a placeholder", "write `len([BODY].items)`");

    [Fact]
    public void Fields_on_a_placeholder_without_fields_are_an_error() =>
        AssertError("[STATUS].code == 200", 8, "`[STATUS]` has no fields",
            "only [BODY] takes a JSON path (`[BODY].a.b[0]`) and [HEADER] a header name (`[HEADER].Name`)");

    [Fact]
    public void Header_without_a_name_is_an_error() =>
        AssertError("[HEADER] == x", 8, "[HEADER] needs a header name", "write `[HEADER].Content-Type`");

    [Fact]
    public void Empty_json_key_is_an_error() =>
        AssertError("[BODY].a..b == 1", 8, "a JSON path needs a key after `.`", "write `[BODY].status` or `[BODY].items[0].id`");

    [Fact]
    public void Unclosed_quote_points_at_the_quote() =>
        AssertError("[BODY] == \"ok", 10, "unclosed quote `\"`", "close the value with `\"`");

    [Fact]
    public void TryParse_returns_the_error_instead_of_throwing()
    {
        Assert.False(Condition.TryParse("[STATS] == 200", out var c, out var e));
        Assert.Null(c);
        Assert.Equal(0, e.Offset);
        Assert.True(Condition.TryParse("[STATUS] == 200", out c, out e));
        Assert.NotNull(c);
        Assert.Null(e);
    }
}

using Vigil.Core.Checks;
using Vigil.Core.Conditions;

namespace Vigil.Core.Tests.Conditions;

// Conditions evaluated against observations: Gatus's documented examples behave as in Gatus,
// every message shows the values seen, and a value Gatus would read as 0 fails with a reason.
public sealed class ConditionEvaluationTests
{
    private static Observation Http(int status = 200, string? body = null, int ms = 120) => new()
    {
        Connected = true,
        Status = status,
        Body = body,
        ResponseTime = TimeSpan.FromMilliseconds(ms),
        Headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Content-Type"] = "application/json" },
        Ip = "127.0.0.1",
        CertificateExpiration = TimeSpan.FromDays(12) + TimeSpan.FromHours(3),
    };

    private static ConditionOutcome Eval(string condition, Observation o) => Condition.Parse(condition).Evaluate(o);

    private static void Holds(string condition, Observation o) =>
        Assert.True(Eval(condition, o).Ok, Eval(condition, o).Message);

    private static void Fails(string condition, Observation o) =>
        Assert.False(Eval(condition, o).Ok, Eval(condition, o).Message);

    private const string Json = """{"status":"UP","data":[{"id":1,"name":"a"},{"id":2}],"errors":null,"count":"abc","nested":{"a":{"b":[{"c":"deep"}]}},"ok":true}""";

    // Gatus's documented examples.
    [Theory]
    [InlineData("[STATUS] == 200")]
    [InlineData("[BODY].status == UP")]
    [InlineData("[BODY].data[0].id == 1")]
    [InlineData("len([BODY].data) < 5")]
    [InlineData("[BODY] == pat(*\"status\":\"UP\"*)")]
    [InlineData("[STATUS] == any(200, 201)")]
    [InlineData("has([BODY].missing) == false")]
    [InlineData("has([BODY].errors) == true")]
    [InlineData("[CERTIFICATE_EXPIRATION] > 48h")]
    [InlineData("[RESPONSE_TIME] < 300")]
    [InlineData("[CONNECTED] == true")]
    [InlineData("[IP] == 127.0.0.1")]
    [InlineData("[BODY].nested.a.b[0].c == deep")]
    [InlineData("[BODY].ok == true")]
    [InlineData("[HEADER].content-type == application/json")]
    [InlineData("[STATUS] != 500")]
    [InlineData("[STATUS] <= 200")]
    [InlineData("[STATUS] >= 200")]
    [InlineData("[STATUS] > 199")]
    [InlineData("[RESPONSE_TIME] < 1s")]
    [InlineData("[RESPONSE_TIME] > 100ms")]
    [InlineData("[CERTIFICATE_EXPIRATION] < 30d")]
    [InlineData("[CERTIFICATE_EXPIRATION] > 1000000")]
    [InlineData("[BODY].status != pat(DOWN*)")]
    [InlineData("[STATUS] != any(500, 502)")]
    [InlineData("[BODY].status == \"UP\"")]
    public void Gatus_documented_examples_hold(string condition) => Holds(condition, Http(body: Json));

    [Fact]
    public void Body_path_starting_with_an_index_reads_a_top_level_array() =>
        Holds("[BODY][0].id == 1", Http(body: """[{"id":1}]"""));

    [Fact]
    public void Dns_rcode_compares_as_case_sensitive_text()
    {
        var o = new Observation { Connected = true, DnsRcode = "NOERROR" };
        Holds("[DNS_RCODE] == NOERROR", o);
        Fails("[DNS_RCODE] == noerror", o);
        Assert.Equal("[DNS_RCODE] (NOERROR) == NXDOMAIN", Eval("[DNS_RCODE] == NXDOMAIN", o).Message);
    }

    [Fact]
    public void Connected_false_holds_when_the_target_is_unreachable() =>
        Holds("[CONNECTED] == false", new Observation { Connected = false });

    [Fact]
    public void Value_compares_as_a_number()
    {
        var o = new Observation { Value = 42.5 };
        Holds("[VALUE] > 42", o);
        Holds("[VALUE] == 42.5", o);
        Assert.Equal("[VALUE] (42.5) < 10", Eval("[VALUE] < 10", o).Message);
    }

    [Fact]
    public void Numbers_compare_as_numbers_when_both_sides_are_numbers()
    {
        Holds("[BODY] == 1", Http(body: "1.0"));
        Holds("[BODY] > 9", Http(body: "10"));
    }

    [Fact]
    public void Text_equality_is_case_sensitive_like_gatus() => Fails("[BODY].status == up", Http(body: Json));

    [Fact]
    public void Pattern_matches_with_star_and_question_mark()
    {
        var o = Http(body: "all healthy here");
        Holds("[BODY] == pat(*healthy*)", o);
        Holds("[BODY] == pat(all ?ealthy*)", o);
        Fails("[BODY] == pat(healthy)", o);
        Fails("[BODY] == pat(*HEALTHY*)", o);
    }

    [Fact]
    public void Len_counts_characters_of_text_and_elements_of_arrays_and_objects()
    {
        var o = Http(body: """{"s":"abcd","a":[1,2,3],"o":{"x":1,"y":2}}""");
        Holds("len([BODY].s) == 4", o);
        Holds("len([BODY].a) == 3", o);
        Holds("len([BODY].o) == 2", o);
        Holds("len([BODY]) > 10", o);
    }

    [Fact]
    public void Message_shows_the_status_seen() =>
        Assert.Equal("[STATUS] (503) == 200", Eval("[STATUS] == 200", Http(status: 503)).Message);

    [Fact]
    public void Message_shows_the_json_value_seen() =>
        Assert.Equal("[BODY].status (degraded) == ok", Eval("[BODY].status == ok", Http(body: """{"status":"degraded"}""")).Message);

    [Fact]
    public void Message_shows_the_length_seen() =>
        Assert.Equal("len([BODY].items) (0) > 0", Eval("len([BODY].items) > 0", Http(body: """{"items":[]}""")).Message);

    [Fact]
    public void Message_shows_the_certificate_time_left_in_days_and_hours()
    {
        var outcome = Eval("[CERTIFICATE_EXPIRATION] > 720h", Http());
        Assert.False(outcome.Ok);
        Assert.Equal("[CERTIFICATE_EXPIRATION] (12d 3h) > 720h", outcome.Message);
    }

    [Fact]
    public void Message_shows_the_response_time_in_milliseconds() =>
        Assert.Equal("[RESPONSE_TIME] (450) < 300", Eval("[RESPONSE_TIME] < 300", Http(ms: 450)).Message);

    [Fact]
    public void Message_shows_has_and_any() =>
        Assert.Equal("[STATUS] (404) == any(200, 201)", Eval("[STATUS] == any(200, 201)", Http(status: 404)).Message);

    [Fact]
    public void Message_shortens_a_long_body()
    {
        var message = Eval("[BODY] == ok", Http(body: new string('x', 500))).Message;
        Assert.True(message.Length < 120, message);
        Assert.Contains("…", message, StringComparison.Ordinal);
    }

    // Where Gatus reads 0, Vigil fails and says why.
    [Fact]
    public void Non_numeric_json_value_fails_instead_of_reading_zero()
    {
        var outcome = Eval("[BODY].count > 5", Http(body: Json));
        Assert.False(outcome.Ok);
        Assert.Equal("[BODY].count > 5: 'abc' is not a number", outcome.Message);
    }

    [Fact]
    public void Non_numeric_body_fails_even_for_a_condition_that_zero_would_satisfy() =>
        Assert.Equal("[BODY] < 5: 'abc' is not a number", Eval("[BODY] < 5", Http(body: "abc")).Message);

    [Fact]
    public void Status_the_probe_did_not_fill_fails_instead_of_reading_zero()
    {
        var tcp = new Observation { Connected = true };
        var outcome = Eval("[STATUS] != 500", tcp);
        Assert.False(outcome.Ok);
        Assert.Equal("[STATUS] != 500: this probe saw no [STATUS]", outcome.Message);
    }

    [Theory]
    [InlineData("[VALUE] < 10", "[VALUE] < 10: this probe saw no [VALUE]")]
    [InlineData("[IP] == 1.2.3.4", "[IP] == 1.2.3.4: this probe saw no [IP]")]
    [InlineData("[DNS_RCODE] == NOERROR", "[DNS_RCODE] == NOERROR: this probe saw no [DNS_RCODE]")]
    [InlineData("[BODY] == ok", "[BODY] == ok: this probe saw no [BODY]")]
    [InlineData("[CERTIFICATE_EXPIRATION] > 1d", "[CERTIFICATE_EXPIRATION] > 1d: this probe saw no certificate")]
    [InlineData("[HEADER].X-Version == 2", "[HEADER].X-Version == 2: the response has no `X-Version` header")]
    public void Values_the_probe_did_not_fill_fail_with_a_reason(string condition, string message)
    {
        var outcome = Eval(condition, new Observation { Connected = true });
        Assert.False(outcome.Ok);
        Assert.Equal(message, outcome.Message);
    }

    [Fact]
    public void Missing_json_path_fails_instead_of_reading_zero()
    {
        var outcome = Eval("[BODY].data[5].id != 3", Http(body: Json));
        Assert.False(outcome.Ok);
        Assert.Equal("[BODY].data[5].id != 3: [BODY].data[5].id is not in the body", outcome.Message);
    }

    [Fact]
    public void Body_that_is_not_json_fails_a_json_path()
    {
        var outcome = Eval("[BODY].status == ok", Http(body: "<html>down</html>"));
        Assert.False(outcome.Ok);
        Assert.Equal("[BODY].status == ok: the body is not JSON ('<html>down</html>')", outcome.Message);
    }

    [Fact]
    public void Has_is_false_for_a_body_that_is_not_json() =>
        Holds("has([BODY].status) == false", Http(body: "plain"));

    [Fact]
    public void Len_of_a_missing_path_fails_instead_of_reading_zero() =>
        Assert.Equal("len([BODY].items) == 0: [BODY].items is not in the body", Eval("len([BODY].items) == 0", Http(body: "{}")).Message);
    [Fact]
    public void Quoted_value_keeps_its_spaces_and_compares_as_text()
    {
        Holds("[BODY] == \"hello world\"", Http(body: "hello world"));
        Holds("[BODY] == 'hello world'", Http(body: "hello world"));
    }

    [Fact]
    public void Placeholders_on_both_sides_show_both_values() =>
        Assert.Equal("[BODY].a (1) == [BODY].b (2)", Eval("[BODY].a == [BODY].b", Http(body: """{"a":1,"b":2}""")).Message);

    [Fact]
    public void Any_compares_numbers_as_numbers_and_words_as_text()
    {
        Holds("[DNS_RCODE] == any(NOERROR, NXDOMAIN)", new Observation { DnsRcode = "NXDOMAIN" });
        Fails("[DNS_RCODE] == any(NOERROR, SERVFAIL)", new Observation { DnsRcode = "NXDOMAIN" });
        Holds("[VALUE] == any(1, 2.0)", new Observation { Value = 2 });
    }

    [Fact]
    public void Expired_certificate_shows_negative_time_left() =>
        Assert.Equal("[CERTIFICATE_EXPIRATION] (-2d 4h) > 1d",
            Eval("[CERTIFICATE_EXPIRATION] > 1d", new Observation { CertificateExpiration = -(TimeSpan.FromDays(2) + TimeSpan.FromHours(4)) }).Message);

    [Fact]
    public void Huge_json_number_is_not_a_number_for_ordering() =>
        Assert.Equal("[BODY].n > 5: '1e999' is not a number", Eval("[BODY].n > 5", Http(body: """{"n":1e999}""")).Message);
}

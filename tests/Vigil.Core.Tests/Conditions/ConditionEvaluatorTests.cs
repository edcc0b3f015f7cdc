using Vigil.Core.Checks;
using Vigil.Core.Conditions;
using Vigil.Core.Workspace;

namespace Vigil.Core.Tests.Conditions;

// The verdict: conditions decide down, warn conditions decide degraded, and the one-line
// message says which condition failed with the values seen.
public sealed class ConditionEvaluatorTests
{
    private static readonly SourcePosition At = new("vigil.yaml", 1, 1);

    private static Check Check(string[] conditions, string[]? warn = null, CheckKind kind = CheckKind.Sql) => new()
    {
        Id = "c",
        Kind = kind,
        Spec = new SqlCheckSpec(SqlDriver.Postgres, "x", "SELECT 1"),
        Conditions = [.. conditions.Select(c => new ConditionText(c, At))],
        Warn = [.. (warn ?? []).Select(c => new ConditionText(c, At))],
        Position = At,
    };

    private readonly ConditionEvaluator evaluator = new();

    [Theory]
    [InlineData(50, CheckStatus.Up, "all 2 conditions hold")]
    [InlineData(500, CheckStatus.Degraded, "[VALUE] (500) < 100")]
    [InlineData(5000, CheckStatus.Down, "[VALUE] (5000) < 1000")]
    public void Queue_depth_is_up_below_the_warning_degraded_above_it_and_down_above_the_critical(double depth, CheckStatus status, string message)
    {
        var outcome = evaluator.Evaluate(Check(["[VALUE] < 1000"], ["[VALUE] < 100"]), new Observation { Connected = true, Value = depth });
        Assert.Equal(status, outcome.Status);
        Assert.Equal(message, outcome.Message);
        Assert.Equal(2, outcome.Conditions.Count);
        Assert.True(outcome.Conditions[1].Warn);
    }

    [Fact]
    public void Down_message_names_the_first_failing_condition_and_how_many_more()
    {
        var outcome = evaluator.Evaluate(
            Check(["[STATUS] == 200", "[BODY].status == ok", "[RESPONSE_TIME] < 300"], kind: CheckKind.Http),
            new Observation { Connected = true, Status = 503, Body = """{"status":"degraded"}""", ResponseTime = TimeSpan.FromMilliseconds(20) });
        Assert.Equal(CheckStatus.Down, outcome.Status);
        Assert.Equal("[STATUS] (503) == 200 and 1 more", outcome.Message);
        Assert.Equal([false, false, true], outcome.Conditions.Select(c => c.Ok));
    }

    [Fact]
    public void Single_condition_that_holds_says_so()
    {
        var outcome = evaluator.Evaluate(Check(["[VALUE] == 0"]), new Observation { Value = 0 });
        Assert.Equal(CheckStatus.Up, outcome.Status);
        Assert.Equal("the condition holds", outcome.Message);
    }

    [Fact]
    public void Probe_error_is_down_with_the_error_as_message()
    {
        var outcome = evaluator.Evaluate(Check(["[STATUS] == 200"], kind: CheckKind.Http), new Observation { Error = "connection refused" });
        Assert.Equal(CheckStatus.Down, outcome.Status);
        Assert.Equal("connection refused", outcome.Message);
    }

    [Fact]
    public void Probe_error_is_evaluated_normally_when_the_check_expects_no_connection()
    {
        var outcome = evaluator.Evaluate(Check(["[CONNECTED] == false"], kind: CheckKind.Tcp), new Observation { Error = "connection refused" });
        Assert.Equal(CheckStatus.Up, outcome.Status);
        Assert.Equal("the condition holds", outcome.Message);
    }

    [Fact]
    public void Built_in_failures_are_down_and_listed()
    {
        var o = new Observation { Connected = true, Status = 1 };
        o.BuiltInFailures.Add("exit code 1");
        o.BuiltInFailures.Add("stderr: boom");
        var outcome = evaluator.Evaluate(Check([], kind: CheckKind.Command), o);
        Assert.Equal(CheckStatus.Down, outcome.Status);
        Assert.Equal("exit code 1; stderr: boom", outcome.Message);
    }

    [Fact]
    public void No_conditions_no_failures_and_no_error_is_up()
    {
        var outcome = evaluator.Evaluate(Check([], kind: CheckKind.Tcp), new Observation { Connected = true });
        Assert.Equal(CheckStatus.Up, outcome.Status);
        Assert.Empty(outcome.Conditions);
    }

    [Fact]
    public void Warn_failures_alone_make_the_check_degraded_with_the_count()
    {
        var outcome = evaluator.Evaluate(Check(["[VALUE] < 100"], ["[VALUE] < 10", "[VALUE] < 5"]), new Observation { Value = 50 });
        Assert.Equal(CheckStatus.Degraded, outcome.Status);
        Assert.Equal("[VALUE] (50) < 10 and 1 more", outcome.Message);
    }

    [Fact]
    public void Unfilled_value_makes_the_check_down_with_the_reason()
    {
        var outcome = evaluator.Evaluate(Check(["[VALUE] < 100"]), new Observation { Connected = true });
        Assert.Equal(CheckStatus.Down, outcome.Status);
        Assert.Equal("[VALUE] < 100: this probe saw no [VALUE]", outcome.Message);
    }

    [Fact]
    public void Malformed_condition_that_escaped_validation_fails_with_the_parse_error()
    {
        var outcome = evaluator.Evaluate(Check(["[STATS] == 200"]), new Observation { Status = 200 });
        Assert.Equal(CheckStatus.Down, outcome.Status);
        Assert.Equal("[STATS] == 200: cannot be evaluated: unknown placeholder `[STATS]`", outcome.Message);
    }

    [Fact]
    public void Evaluation_is_cheap_enough_for_a_thousand_probes_a_second()
    {
        var check = Check(["[STATUS] == 200", "[BODY].status == ok", "[RESPONSE_TIME] < 300"], ["len([BODY].items) < 100"], CheckKind.Http);
        var o = new Observation { Connected = true, Status = 200, Body = """{"status":"ok","items":[1,2,3]}""", ResponseTime = TimeSpan.FromMilliseconds(5) };
        Assert.Equal(CheckStatus.Up, evaluator.Evaluate(check, o).Status);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 10_000; i++) evaluator.Evaluate(check, o);
        // 10,000 evaluations is ten seconds of probes at 1000/s; even a loaded CI machine does it in well under that.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"10,000 evaluations took {watch.Elapsed}");
    }
}

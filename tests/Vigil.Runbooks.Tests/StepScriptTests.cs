namespace Vigil.Runbooks.Tests;

public sealed class StepScriptTests
{
    private static Step StepOf(string markdown) => RunbookParser.Parse(markdown).AllSections().SelectMany(s => s.Steps).First();

    private static (string? Script, List<ParameterProblem> Problems) Build(string command, Dictionary<string, string> values, IReadOnlySet<string>? env = null)
    {
        var problems = new List<ParameterProblem>();
        var step = StepOf($"## Fix\n\n```bash\n# 1. Do it\n{command}\n```\n");
        return (StepScript.Build(step, values, problems, env), problems);
    }

    [Theory]
    [InlineData("kubectl logs <pod>", "api-7d9f-xk2", "kubectl logs api-7d9f-xk2")]
    [InlineData("curl -H \"Authorization: Bearer YOUR_TOKEN\" http://x/", "a b;c|d&e>f", "curl -H \"Authorization: Bearer a b;c|d&e>f\" http://x/")]
    [InlineData("grep 'job_id_here' /var/log/app.log", "x\" $(rm -rf /) `id`", "grep 'x\" $(rm -rf /) `id`' /var/log/app.log")]
    [InlineData("docker pull app:${VERSION}", "1.4.2", "docker pull app:1.4.2")]
    public void A_value_fills_its_placeholder_where_its_quoting_makes_it_inert(string command, string value, string expected)
    {
        var name = RunbookParser.Parameters(command).Single();
        var (script, problems) = Build(command, new() { [name] = value });
        Assert.Empty(problems);
        Assert.Equal($"set -e\n{expected}\n", script);
    }

    [Theory]
    [InlineData("kubectl logs <pod>", "api; rm -rf /", "';'")]
    [InlineData("kubectl logs <pod>", "$(id)", "'$'")]
    [InlineData("kubectl logs <pod>", "a b", "' '")]
    [InlineData("curl -H \"X: YOUR_TOKEN\" http://x/", "a\"b", "double quotes")]
    [InlineData("curl -H \"X: YOUR_TOKEN\" http://x/", "$(id)", "double quotes")]
    [InlineData("curl -H \"X: YOUR_TOKEN\" http://x/", "`id`", "double quotes")]
    [InlineData("grep 'job_id_here' log", "it's", "single quote")]
    [InlineData("grep 'job_id_here' log", "a\nb", "control character")]
    [InlineData("kubectl logs <pod>", "", "empty")]
    public void A_value_the_shell_would_interpret_there_is_refused_without_repeating_it(string command, string value, string said)
    {
        var name = RunbookParser.Parameters(command).Single();
        var (script, problems) = Build(command, new() { [name] = value });
        Assert.Null(script);
        var problem = Assert.Single(problems);
        Assert.Equal(name, problem.Name);
        Assert.Contains(said, problem.Message);
        if (value.Length > 3) Assert.DoesNotContain(value, problem.Message);
    }

    [Fact]
    public void Missing_and_unknown_parameters_are_both_reported()
    {
        var (script, problems) = Build("kubectl logs <pod> -n <namespace>", new() { ["pod"] = "api-1", ["nmespace"] = "prod" });
        Assert.Null(script);
        Assert.Equal(["namespace", "nmespace"], problems.Select(p => p.Name).Order());
    }

    [Fact]
    public void Variables_the_environment_provides_are_left_to_the_shell_and_are_not_parameters()
    {
        var step = StepOf("## Fix\n\n1. Check: `psql \"$DATABASE_URL\" -c 'select 1' && echo $HOME <pod>`\n");
        Assert.Equal(["DATABASE_URL", "pod"], StepScript.Parameters(step));
        Assert.Equal(["pod"], StepScript.Parameters(step, new HashSet<string> { "DATABASE_URL" }));
        var problems = new List<ParameterProblem>();
        Assert.Equal("set -e\npsql \"$DATABASE_URL\" -c 'select 1' && echo $HOME api-1\n",
            StepScript.Build(step, new Dictionary<string, string> { ["pod"] = "api-1" }, problems, new HashSet<string> { "DATABASE_URL" }));
    }

    [Fact]
    public void Python_runs_as_python3_c_and_sql_or_a_step_without_commands_cannot_be_run()
    {
        var py = StepOf("## Fix\n\n```python\n# 1. Count\nprint('it''s', 1 + 1)\n```\n");
        Assert.Null(StepScript.NotRunnable(py));
        var script = StepScript.Build(py, new Dictionary<string, string>(), [])!;
        Assert.StartsWith("set -e\npython3 -c '", script);
        Assert.EndsWith("print('\\''it'\\'''\\''s'\\'', 1 + 1)'\n", script);
        Assert.Contains("SQL", StepScript.NotRunnable(StepOf("## Fix\n\n```sql\n-- 1. Count\nSELECT 1;\n```\n")));
        Assert.Contains("by hand", StepScript.NotRunnable(StepOf("## Fix\n\n1. Tell the customers on the status page\n")));
    }
}

public sealed class SqlStepScriptTests
{
    private static (IReadOnlyList<string>? Statements, List<ParameterProblem> Problems) Fill(string sql, string value)
    {
        var step = RunbookParser.Parse($"## Fix\n\n```sql\n{sql}\n```\n").AllSections().SelectMany(s => s.Steps).First();
        var problems = new List<ParameterProblem>();
        return (StepScript.Statements(step, new Dictionary<string, string> { [RunbookParser.Parameters(sql).Single()] = value }, problems), problems);
    }

    [Theory]
    [InlineData("UPDATE jobs SET state = 'queued' WHERE id = job_id_here;", "1--", false)]
    [InlineData("UPDATE jobs SET state = 'queued' WHERE id = job_id_here;", "1 OR 1=1", false)]
    [InlineData("UPDATE jobs SET state = 'queued' WHERE id = job_id_here;", "42", true)]
    [InlineData("SELECT * FROM jobs WHERE name = 'NAME_HERE';", "it's", false)]
    [InlineData("SELECT * FROM jobs WHERE name = 'NAME_HERE';", "a;b -- c \\ \"d\"", true)]
    public void Sql_values_are_checked_by_sql_quoting(string sql, string value, bool allowed)
    {
        var (statements, problems) = Fill(sql, value);
        Assert.Equal(allowed, statements is not null);
        Assert.Equal(allowed, problems.Count == 0);
    }

    [Fact]
    public void A_sql_step_runs_only_with_a_database()
    {
        var step = RunbookParser.Parse("## Fix\n\n```sql\nSELECT 1;\n```\n").AllSections().SelectMany(s => s.Steps).First();
        Assert.True(StepScript.IsSql(step));
        Assert.Contains("runbooks.database", StepScript.NotRunnable(step));
        Assert.Null(StepScript.NotRunnable(step, database: true));
    }
}

public sealed class RunbookStepIdTests
{
    private const string Text = """
        # Ops

        ## Service Down

        1. Check: `curl -i http://127.0.0.1:8000/health`
        2. Restart: `sudo systemctl restart app`

        ### Database

        ```bash
        # 1. Is it up?
        pg_isready -h 127.0.0.1
        ```
        """;

    [Fact]
    public void Step_ids_cover_the_section_and_its_subsections_and_are_the_same_for_the_same_text()
    {
        var a = RunbookSteps.Of(RunbookParser.Parse(Text).Find("service-down")!);
        var b = RunbookSteps.Of(RunbookParser.Parse(Text).Find("#service-down")!);
        Assert.Equal(3, a.Count);
        Assert.Equal(a.Select(s => s.Id), b.Select(s => s.Id));
        Assert.Equal(a.Count, a.Select(s => s.Id).Distinct().Count());
        Assert.Matches("^1-[0-9a-f]{8}$", a[0].Id);
        Assert.Equal("database", a[2].Section.Anchor);
    }

    [Fact]
    public void Editing_a_step_changes_its_id_and_leaves_the_others()
    {
        var before = RunbookSteps.Of(RunbookParser.Parse(Text).Find("service-down")!).Select(s => s.Id).ToList();
        var after = RunbookSteps.Of(RunbookParser.Parse(Text.Replace("restart app", "restart app-worker", StringComparison.Ordinal)).Find("service-down")!).Select(s => s.Id).ToList();
        Assert.Equal(before[0], after[0]);
        Assert.NotEqual(before[1], after[1]);
        Assert.Equal(before[2], after[2]);
    }

    [Fact]
    public void Html_headings_carry_the_model_anchors_and_raw_html_is_not_passed_through()
    {
        const string md = "# Ops\n\n## Service Down\n\n## Service Down\n\n<script>alert(1)</script>\n";
        var html = RunbookHtml.Render(md, RunbookParser.Parse(md));
        Assert.Contains("<h2 id=\"service-down\">", html);
        Assert.Contains("<h2 id=\"service-down-1\">", html);
        Assert.DoesNotContain("<script>", html);
    }
}

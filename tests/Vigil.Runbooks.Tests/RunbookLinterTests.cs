namespace Vigil.Runbooks.Tests;

public sealed class RunbookLinterTests
{
    private static readonly DateOnly Today = new(2026, 11, 23);

    private static List<LintFinding> Lint(string markdown) => RunbookLinter.Lint(RunbookParser.Parse(markdown, "ops.md"), Today);

    [Fact]
    public void Every_rule_fires_where_it_should_with_its_line_and_severity()
    {
        var findings = Lint("""
            # Ops

            **Last Updated:** 2026-01-10
            **Review Cycle:** Quarterly

            - [Restart](#restart)
            - [Gone](#no-such-section)

            | Service | Port |
            |---|---|
            | `api.service` | 8080 |

            ## Restart

            ```bash
            sudo systemctl restart api
            sudo systemctl restart billing
            ```

            ## Deploy

            ```bash
            ./deploy.sh v2
            ```

            ## Cleanup

            ```bash
            rm -rf /srv/api/uploads
            curl -H "Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345" https://api/x
            kubectl logs <pod>
            ```

            ## Symptoms of a full disk

            - Writes fail
            """);
        string Of(string rule) => string.Join(" | ", findings.Where(f => f.Rule == rule).Select(f => $"{f.Line}:{f.Severity}"));
        Assert.Equal("7:error", Of("broken-link"));
        Assert.Equal("17:warning", Of("unknown-service")); // billing is not in the service table; api is
        Assert.Equal("20:warning", Of("no-rollback"));
        Assert.Equal("29:error", Of("destructive-without-warning"));
        Assert.Equal("30:error", Of("hard-coded-secret"));
        Assert.Equal("31:warning", Of("placeholder"));
        Assert.Equal("34:warning", Of("symptoms-without-resolution"));
        Assert.Equal("3:warning", Of("stale")); // reviewed quarterly: due 2026-04-10
        Assert.All(findings, f => Assert.Equal("ops.md", f.File));
        Assert.DoesNotContain("abcdefghijklmnop", string.Join("\n", findings.Select(f => f.Message)), StringComparison.Ordinal);
    }

    [Fact]
    public void Bold_symptoms_need_resolution_steps_in_their_section()
    {
        var findings = Lint("""
            # Ops

            ## Disk full

            **Symptoms**:
            - writes fail

            ```bash
            df -h
            ```
            """);
        Assert.Equal("5 symptoms-without-resolution", Assert.Single(findings, f => f.Rule == "symptoms-without-resolution") is var f ? $"{f.Line} {f.Rule}" : "");
        Assert.DoesNotContain(Lint("""
            # Ops

            ## Disk full

            **Symptoms**:
            - writes fail

            **Resolution**:

            ```bash
            docker image prune -f
            ```
            """), x => x.Rule == "symptoms-without-resolution");
    }

    [Fact]
    public void A_warning_or_a_backup_first_makes_a_destructive_step_acceptable()
    {
        Assert.Empty(Lint("""
            # Ops

            ## Reset the database

            > **WARNING:** this deletes every row.

            ```bash
            psql -c 'TRUNCATE jobs'
            ```
            """));
        Assert.Empty(Lint("""
            # Ops

            ## Reset the database

            ```bash
            # 1. Back up
            pg_dump -Fc app > /backups/app.dump

            # 2. Drop
            dropdb app
            ```
            """));
    }

    [Fact]
    public void The_sample_runbooks_get_the_findings_their_text_deserves()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Samples");
        var production = RunbookLinter.Lint(RunbookParser.ParseFile(Path.Combine(dir, "production-platform.md")), Today);
        Assert.Equal(["118 destructive-without-warning", "121 destructive-without-warning"], production.Select(f => $"{f.Line} {f.Rule}"));

        var sec = RunbookLinter.Lint(RunbookParser.ParseFile(Path.Combine(dir, "sec-filing-analysis.md")), Today);
        Assert.Contains(sec, f => f is { Rule: "stale", Line: 648 } && f.Message.Contains("due 2025-11-18", StringComparison.Ordinal));
        Assert.Contains(sec, f => f is { Rule: "destructive-without-warning", Line: 372 });
        Assert.DoesNotContain(sec, f => f.Rule == "broken-link");

        var stm = RunbookLinter.Lint(RunbookParser.ParseFile(Path.Combine(dir, "stm-intelligence-brief.md")), Today);
        Assert.DoesNotContain(stm, f => f.Rule is "broken-link" or "hard-coded-secret");
        Assert.Contains(stm, f => f is { Rule: "placeholder", Line: 119 } && f.Message.Contains("YOUR_TOKEN", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("2026-02-05", "2026-02-05")]
    [InlineData("December 2025", "2025-12-01")]
    [InlineData("Feb 5, 2026", "2026-02-05")]
    [InlineData("5 February 2026", "2026-02-05")]
    public void Dates_are_read_as_runbooks_write_them(string text, string expected) =>
        Assert.Equal(DateOnly.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), RunbookLinter.Date(text));

    [Theory]
    [InlineData("Monthly", "2026-02-10")]
    [InlineData("Quarterly", "2026-04-10")]
    [InlineData("every 6 months", "2026-07-10")]
    [InlineData("Weekly", "2026-01-17")]
    [InlineData("Annually", "2027-01-10")]
    public void Review_cycles_are_read(string text, string due) =>
        Assert.Equal(DateOnly.Parse(due, System.Globalization.CultureInfo.InvariantCulture), RunbookLinter.Cycle(text)!(new DateOnly(2026, 1, 10)));
}

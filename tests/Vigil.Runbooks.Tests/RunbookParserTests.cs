using Vigil.Runbooks.Risk;

namespace Vigil.Runbooks.Tests;

public sealed class RunbookParserTests
{
    private static Runbook Sample(string name) => RunbookParser.ParseFile(Path.Combine(AppContext.BaseDirectory, "Samples", name));

    private static Section Section(Runbook r, string anchor) => r.Find(anchor) ?? throw new InvalidOperationException($"no section #{anchor}: {string.Join(", ", r.Anchors)}");

    [Fact]
    public void The_production_platform_runbook_reads_into_its_sections_steps_and_risks()
    {
        var r = Sample("production-platform.md");
        Assert.Equal("Production Runbook", r.Title);
        Assert.Equal(("2026-02-05", 4), (r.Metadata.LastUpdated!.Text, r.Metadata.LastUpdated.Line));
        Assert.Equal("Mboya Jeffers", r.Metadata.Owner!.Text);
        Assert.Equal(["1. Service Overview", "2. Common Operations", "3. Incident Response", "4. Troubleshooting", "5. Monitoring & Alerts"],
            r.Sections.Single().Children.Take(5).Select(s => s.Title));
        Assert.Equal(SectionRole.Diagnosis, Section(r, "4-troubleshooting").Role);
        Assert.Equal(SectionRole.Rollback, Section(r, "rollback-to-previous-release").Role);
        Assert.Equal(["Service", "Unit", "Port", "Health Check"], Section(r, "1-service-overview").Tables.Single().Headers);
        Assert.Equal(["P1 - Critical", "Platform down, no data processing", "15 min", "All services crashed, DB unreachable"], Section(r, "severity-levels").Tables.Single().Rows[0]);

        var disk = Section(r, "disk-space-full");
        Assert.Equal(["Check disk usage", "Clean old logs (keep 7 days)", "Clean old backups (keep 30 days)", "Verify"], disk.Steps.Select(s => s.Title));
        Assert.Equal([RiskClass.ReadOnly, RiskClass.Destructive, RiskClass.Destructive, RiskClass.ReadOnly], disk.Steps.Select(s => s.Risk.Class));
        var clean = disk.Steps[1].Commands.Single();
        Assert.Equal(("find /opt/app/logs -name \"*.log\" -mtime +7 -delete", "bash", 118), (clean.Text, clean.Language, clean.Line));

        var checklist = Section(r, "incident-checklist");
        Assert.Equal(SectionRole.Checklist, checklist.Role);
        Assert.Equal([1, 2, 3, 4, 5, 6], checklist.Steps.Select(s => s.Number ?? 0));
        Assert.Equal("Assess", checklist.Steps[0].Title);

        // A command continued with '\' over lines is one command, and its SQL is judged.
        var stuck = Section(r, "etl-pipeline-stuck").Steps.Single(s => s.Title == "Reset stuck jobs").Commands.Single();
        Assert.Contains("UPDATE jobs SET status = 'failed'", stuck.Text, StringComparison.Ordinal);
        Assert.Equal(RiskClass.Mutating, stuck.Risk.Class);
    }

    [Fact]
    public void The_sec_filing_runbook_keeps_numbered_comment_steps_options_and_its_closing_metadata()
    {
        var r = Sample("sec-filing-analysis.md");
        Assert.Equal(("1.0", "2025-10-18", "Operations Team", "Monthly"), (r.Metadata.Version!.Text, r.Metadata.LastUpdated!.Text, r.Metadata.Owner!.Text, r.Metadata.ReviewCycle!.Text));
        var p0 = Section(r, "p0-system-down");
        var numbered = p0.Steps.Where(s => s.Number is not null).ToList();
        Assert.Equal([1, 2, 3, 4, 5], numbered.Select(s => s.Number!.Value));
        Assert.Equal("Create incident channel", numbered[0].Title);
        Assert.Empty(numbered[0].Commands); // done by hand
        Assert.Equal(["kubectl get pods -n sec-analysis", "kubectl get nodes"], numbered[1].Commands.Select(c => c.Text));
        Assert.Equal(["Option A - Rollback", "Option B - Scale up", "Option C - Restart services", "Option D - Database failover"], p0.Options.Select(o => o.Text));
        Assert.Equal("Option A - Rollback", p0.Steps.First(s => s.Commands.Any(c => c.Text.StartsWith("kubectl rollout undo", StringComparison.Ordinal))).Option);

        var redis = Section(r, "redis-maintenance").Steps.Single(s => s.Title == "Clear expired keys");
        Assert.Equal(RiskClass.Destructive, redis.Risk.Class);
        Assert.Contains(redis.Risk.Reasons, x => x.Contains("mass deletion", StringComparison.Ordinal));
        Assert.Equal(SectionRole.Escalation, Section(r, "on-call-procedures").Role);
        // Bold labels divide a section without headings, and say what each part is.
        Assert.Equal([("Symptoms", SectionRole.Symptoms), ("Immediate Actions", SectionRole.Resolution), ("Recovery Steps", SectionRole.Resolution), ("Verification", SectionRole.Verification)],
            p0.Labels.Select(l => (l.Text, l.Role)));
    }

    [Fact]
    public void The_stm_runbook_resolves_its_table_of_contents_and_finds_placeholders()
    {
        var r = Sample("stm-intelligence-brief.md");
        var toc = Section(r, "table-of-contents");
        Assert.Equal(6, toc.Links.Count);
        Assert.All(toc.Links, l => Assert.Contains(l.Target.TrimStart('#'), r.Anchors));
        Assert.Equal("December 2025", r.Metadata.LastUpdated!.Text);

        // A psql -c whose quoted SQL spans lines is one read-only command.
        var size = Section(r, "check-database-size").Steps.Single().Commands.Single();
        Assert.StartsWith("docker compose exec postgres psql", size.Text, StringComparison.Ordinal);
        Assert.Equal(RiskClass.ReadOnly, size.Risk.Class);

        var trigger = Section(r, "manual-trigger").Steps.Single().Commands.Single();
        Assert.Equal(["YOUR_TOKEN"], trigger.Parameters);
        Assert.Equal(RiskClass.Mutating, trigger.Risk.Class);

        var down = Section(r, "service-down");
        Assert.Equal([1, 2, 3, 4, 5], down.Steps.Select(s => s.Number ?? 0));
        Assert.Equal(["docker compose ps"], down.Steps[0].Commands.Select(c => c.Text));
        Assert.Equal(RiskClass.Mutating, down.Steps[2].Risk.Class);
    }

    [Fact]
    public void Language_comes_from_the_content_when_the_fence_is_missing_or_wrong()
    {
        var r = RunbookParser.Parse("""
            # T

            ## Stuck jobs

            ```bash
            SELECT id FROM jobs WHERE status = 'processing';
            ```

            ```
            $ docker compose ps
            NAME   STATUS
            web    up
            $ docker compose down -v
            ```

            ```
            groups:
              - name: app
            ```

            ```
            docker compose restart web
            ```
            """);
        var blocks = r.Find("stuck-jobs")!.Blocks;
        Assert.Equal(["sql", "console", "yaml", "bash"], blocks.Select(b => b.Language));
        var steps = r.Find("stuck-jobs")!.Steps;
        Assert.Equal(["sql", "console", "console", "bash"], steps.SelectMany(s => s.Commands).Select(c => c.Language));
        // The transcript's output lines are not commands.
        Assert.Equal(["docker compose ps", "docker compose down -v"], steps[1].Commands.Select(c => c.Text));
        Assert.Equal(RiskClass.Destructive, steps[1].Risk.Class);
    }

    [Fact]
    public void Numbered_headings_warnings_checklists_and_placeholders_are_read()
    {
        var r = RunbookParser.Parse("""
            # Database

            ### 1. Check Database

            ```bash
            pg_isready -h <db-host>
            ```

            ### 2. Purge

            > **WARNING:** destructive, loses every queued job.

            ```bash
            redis-cli -n ${REDIS_DB} FLUSHDB
            curl -H "Authorization: Bearer $API_TOKEN" https://x/$HOME/job_id_here
            ```

            ## Weekly

            - [ ] Check backups
            - [x] Rotate logs
            """);
        var check = r.Find("1-check-database")!;
        Assert.Equal((1, "Check Database"), (check.Steps.Single().Number!.Value, check.Steps.Single().Title));
        Assert.Equal(["db-host"], check.Steps.Single().Commands.Single().Parameters);
        var purge = r.Find("2-purge")!;
        Assert.Equal("WARNING", purge.Warnings.Single().Level);
        Assert.Equal(RiskClass.Destructive, purge.Steps.Single().Risk.Class);
        Assert.Equal(["REDIS_DB"], purge.Steps.Single().Commands[0].Parameters);
        Assert.Equal(["API_TOKEN", "job_id_here"], purge.Steps.Single().Commands[1].Parameters);
        Assert.Equal([("Check backups", false), ("Rotate logs", true)], r.Find("weekly")!.Checklist.Select(c => (c.Text, c.Done)));
    }

    [Fact]
    public void Repeated_headings_get_numbered_anchors_as_on_github()
    {
        var r = RunbookParser.Parse("# R\n## Steps\n## Steps\n## Steps\n### Service Down!\n");
        Assert.Equal(["r", "steps", "steps-1", "steps-2", "service-down"], r.AllSections().Select(s => s.Anchor));
    }

    [Fact]
    public void Random_and_hostile_markdown_never_throws_and_stays_linear()
    {
        var random = new Random(7);
        string[] pieces = ["# ", "## ", "### 1. ", "```bash\n", "```\n", "```sql\n", "- [ ] ", "1. ", "| a | b |\n|---|---|\n", "> ", "**", "`", "$ ", "# 2. x\n",
            "rm -rf /\n", "SELECT 1;\n", "'", "\"", "\\\n", "<pod>", "[x](#y)", "\n", "\n\n", "    ", "WARNING: ", "Option A - ", "---\n", "text "];
        for (var n = 0; n < 1500; n++)
        {
            var sb = new System.Text.StringBuilder();
            for (var i = random.Next(0, 60); i > 0; i--) sb.Append(pieces[random.Next(pieces.Length)]);
            var r = RunbookParser.Parse(sb.ToString());
            Assert.NotNull(r.Title);
            _ = RunbookReport.Json(r);
            _ = RunbookReport.Text(r);
        }
        // Pathological input grows the time linearly: 10x the input, well under 30x the time.
        static TimeSpan Time(string text)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            RunbookParser.Parse(text);
            return sw.Elapsed;
        }
        string Hostile(int k) => string.Concat(Enumerable.Repeat("```bash\n# 1. x\nrm -rf \"/a b\" | xargs redis-cli DEL '\n", k)) + string.Concat(Enumerable.Repeat("[", k)) + string.Concat(Enumerable.Repeat("> - 1. **`", k));
        Time(Hostile(200));
        var small = Time(Hostile(2_000));
        var large = Time(Hostile(20_000));
        Assert.True(large < small * 30 + TimeSpan.FromSeconds(1), $"2,000: {small}, 20,000: {large}");
    }

    private static readonly string[] Classes = ["read-only", "mutating", "destructive"];

    [Fact]
    public void The_json_model_carries_each_commands_text_language_risk_reasons_and_line()
    {
        var json = RunbookReport.Json(Sample("production-platform.md"));
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        var commands = doc.RootElement.GetProperty("sections").EnumerateArray()
            .SelectMany(Descend).SelectMany(s => s.GetProperty("steps").EnumerateArray()).SelectMany(st => st.GetProperty("commands").EnumerateArray()).ToList();
        Assert.True(commands.Count > 30, $"{commands.Count} commands");
        Assert.All(commands, c =>
        {
            Assert.False(string.IsNullOrEmpty(c.GetProperty("text").GetString()));
            Assert.Contains(c.GetProperty("risk").GetString(), Classes);
            Assert.True(c.GetProperty("line").GetInt32() > 0);
            Assert.NotEmpty(c.GetProperty("reasons").EnumerateArray());
            Assert.False(string.IsNullOrEmpty(c.GetProperty("language").GetString()));
        });
        static IEnumerable<System.Text.Json.JsonElement> Descend(System.Text.Json.JsonElement s) => new[] { s }.Concat(s.GetProperty("sections").EnumerateArray().SelectMany(Descend));
    }

    [Fact]
    public void Inline_loops_and_subshells_are_commands_and_short_labels_are_titles()
    {
        var steps = RunbookParser.Parse("""
            ## Fix

            1. Say: `echo said <word>`
            2. Hang: `(sleep 300 & echo $! > /tmp/bg.pid); sleep 300`
            3. Tick: `for i in 1 2 3; do echo tick $i; done`
            """).Find("fix")!.Steps;
        Assert.Equal(["Say", "Hang", "Tick"], steps.Select(s => s.Title));
        Assert.All(steps, s => Assert.Equal("bash", Assert.Single(s.Commands).Language));
        Assert.Equal("read-only", steps[2].Risk.Name);
    }
}

using Vigil.Core.Import;
using Vigil.Core.Workspace;
using Vigil.Runbooks;

namespace Vigil.Core.Tests.Import;

public sealed class WorkspaceDraftTests
{
    /// <summary>Drafts a workspace from one runbook into a fresh folder, as `vigil import` lays it out, and loads it.</summary>
    private static (WorkspaceModel Workspace, ImportReport Report) Draft(string path)
    {
        var dir = Directory.CreateTempSubdirectory("vigil-import-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "runbooks"));
        var copied = $"runbooks/{Path.GetFileName(path)}";
        var text = File.ReadAllText(path);
        File.WriteAllText(Path.Combine(dir, copied), text);
        var report = WorkspaceDraft.Build([(RunbookParser.Parse(text, path), copied)]);
        File.WriteAllText(Path.Combine(dir, "vigil.yaml"), report.Yaml);
        var loaded = new WorkspaceLoader(_ => null).Load(dir);
        Assert.True(loaded.Ok, string.Join("\n", loaded.Errors) + "\n" + report.Yaml);
        return (loaded.Workspace!, report);
    }

    /// <summary>Drafts a workspace from runbook text (copied as runbooks/ops.md) and loads it; asserts it validates.</summary>
    private static (WorkspaceModel Workspace, ImportReport Report) DraftText(string text)
    {
        var dir = Directory.CreateTempSubdirectory("vigil-import-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "runbooks"));
            File.WriteAllText(Path.Combine(dir, "runbooks", "ops.md"), text);
            var report = WorkspaceDraft.Build([(RunbookParser.Parse(text, "ops.md"), "runbooks/ops.md")]);
            File.WriteAllText(Path.Combine(dir, "vigil.yaml"), report.Yaml);
            var loaded = new WorkspaceLoader(_ => null).Load(dir);
            Assert.True(loaded.Ok, $"{string.Join("\n", loaded.Errors)}\n--- runbook ---\n{text}\n--- draft ---\n{report.Yaml}");
            return (loaded.Workspace!, report);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Sample(string name) => Path.Combine(AppContext.BaseDirectory, name == "stm-intelligence-brief.md" ? Path.Combine("examples", "stm-intelligence-brief", "runbooks") : "Samples", name);

    [Fact]
    public void The_production_runbook_drafts_its_severities_services_and_health_checks()
    {
        var (w, report) = Draft(Sample("production-platform.md"));
        Assert.Equal([("P1", "Critical", 15), ("P2", "High", 60), ("P3", "Medium", 240), ("P4", "Low", 1440)],
            w.Severities.Select(s => (s.Id, s.Name, (int)s.RespondWithin!.Value.TotalMinutes)));
        Assert.Equal(["web", "orchestrator", "intake-watcher", "postgresql", "nginx"], w.Services.Select(s => s.Id));
        // The diagnosis query for stuck jobs becomes a count that must stay 0, against the database psql named.
        var stuck = (SqlCheckSpec)w.FindService("postgresql")!.Checks.Single(c => c.Spec is SqlCheckSpec).Spec;
        Assert.Equal("SELECT count(*) FROM jobs WHERE status = 'processing' AND created_at < NOW() - INTERVAL '1 hour'", stuck.Query);
        Assert.EndsWith("/analytics", stuck.Connection, StringComparison.Ordinal);
        Assert.All(w.Services, s => Assert.Equal("runbooks/production-platform.md", s.Runbook));
        var web = w.FindService("web")!.Checks.Single();
        Assert.Equal(2, w.FindService("postgresql")!.Checks.Count);
        Assert.Equal("http://127.0.0.1:8080/api/engines", ((HttpCheckSpec)web.Spec).Url);
        Assert.IsType<TcpCheckSpec>(w.FindService("postgresql")!.Checks[0].Spec);
        Assert.Equal("0 2 * * *", w.Maintenance.Tasks.Single().Cron);
        Assert.Contains("# production-platform.md:12", report.Yaml, StringComparison.Ordinal); // the web row of the service table
        Assert.Contains("TODO", report.Yaml, StringComparison.Ordinal);
        // The SLO table: availability, p95 latency and error rate, measured with the web service's health check.
        Assert.Equal([("availability", 0.995, (TimeSpan?)null), ("latency", 0.95, TimeSpan.FromMilliseconds(500)), ("error-rate", 0.99, null)],
            w.FindService("web")!.Slos.Select(s => (s.Id, Math.Round(s.Objective, 4), s.Latency)));
        Assert.All(w.FindService("web")!.Slos, s => Assert.Equal("health", s.Check));
    }

    [Fact]
    public void The_sec_filing_runbook_drafts_severities_from_lists_a_queue_depth_check_with_its_limit_and_schedules()
    {
        var (w, _) = Draft(Sample("sec-filing-analysis.md"));
        Assert.Equal([("P0", 5), ("P1", 15), ("P2", 60), ("P3", 1440)], w.Severities.Select(s => (s.Id, (int)s.RespondWithin!.Value.TotalMinutes)));
        var queue = w.FindService("redis")!.Checks.Single(c => c.Id == "queue-depth");
        // `redis-cli -h … PING` in the P0 steps: a PING check of the same server.
        var ping = w.FindService("redis")!.Checks.Single(c => c.Id == "ping");
        Assert.Equal(("redis://redis.sec-analysis.com:6379", "PING"), (((RedisCheckSpec)ping.Spec).Url, ((RedisCheckSpec)ping.Spec).Command));
        Assert.Equal(["[BODY] == PONG"], ping.Conditions.Select(c => c.Text));
        Assert.Equal("LLEN celery", ((RedisCheckSpec)queue.Spec).Command);
        Assert.Equal("https://api.sec-analysis.com/health", ((HttpCheckSpec)w.FindService("api")!.Checks.Single().Spec).Url);
        var tasks = w.Maintenance.Tasks.ToDictionary(t => t.Id, t => t.Cron);
        Assert.Equal("0 9 * * 1-5", tasks["morning-health-check"]);
        Assert.Equal("0 2 * * 0", tasks["weekly-maintenance"]);

        // Escalation paths per level, people from the contact block, alert rules from the YAML blocks.
        var p0 = w.EscalationPolicies.Single(p => p.Id == "p0");
        Assert.Equal([("user:on-call-engineer", 15), ("user:engineering-manager", 15)], p0.Steps.Take(2).Select(st => (string.Join(",", st.Notify.Select(t => $"{t.Kind.ToString().ToLowerInvariant()}:{t.Id}")), (int)st.Wait.TotalMinutes)));
        Assert.Equal("user:cto", string.Join(",", p0.Steps[2].Notify.Select(t => $"{t.Kind.ToString().ToLowerInvariant()}:{t.Id}")));
        Assert.Equal(60, (int)w.EscalationPolicies.Single(p => p.Id == "p1").Steps[0].Wait.TotalMinutes);
        Assert.Equal("manager@company.com", w.Users.Single(u => u.Id == "engineering-manager").Email);
        Assert.All(w.Services, s => Assert.Equal("p0", s.Escalation));
        var health = w.FindService("api")!.Checks.Single();
        Assert.Equal(("P0", TimeSpan.FromMinutes(2)), (health.Alert!.Severity, health.Alert.For!.Value));
        Assert.Equal(["[VALUE] <= 500"], queue.Conditions.Select(c => c.Text));
        Assert.Equal(["[VALUE] < 100"], queue.Warn.Select(c => c.Text));
        Assert.Equal(("P1", TimeSpan.FromMinutes(15)), (queue.Alert!.Severity, queue.Alert.For!.Value));
        Assert.Equal(["[VALUE] < 80"], w.FindService("host")!.Checks.Single().Conditions.Select(c => c.Text));
    }

    [Fact]
    public void The_stm_runbook_drafts_a_workspace_that_validates_and_says_what_it_left_out()
    {
        var (w, report) = Draft(Sample("stm-intelligence-brief.md"));
        Assert.Equal(["0 9 * * 1", "0 9 * * 1", "0 9 1 * *", "0 9 1 1,4,7,10 *"], w.Maintenance.Tasks.Select(t => t.Cron));
        // No severity levels in this runbook: its alert lists' headings make them.
        Assert.Equal([("critical", true), ("warning", false)], w.Severities.Select(s => (s.Id, s.Page)));
        Assert.Equal([15, 30], w.EscalationPolicies.Single().Steps.Take(2).Select(st => (int)st.Wait.TotalMinutes));
        var api = w.FindService("api")!;
        Assert.Equal(("critical", 2), (api.Checks.Single(c => c.Id == "health").Alert!.Severity, api.Checks.Single(c => c.Id == "health").Alert!.After));
        Assert.Equal(["[CERTIFICATE_EXPIRATION] > 720h"], api.Checks.Single(c => c.Id == "certificate").Conditions.Select(c => c.Text));
        // The endpoint table's expected responses: the health body's status, and "200 … or 204".
        Assert.Equal(["[STATUS] == 200", "[BODY].status == ok"], api.Checks.Single(c => c.Id == "health").Conditions.Select(c => c.Text));
        Assert.Equal("https://api.example.com/briefs/current", ((HttpCheckSpec)api.Checks.Single(c => c.Id == "briefs-current").Spec).Url);
        Assert.Equal(["[STATUS] == any(200, 204)"], api.Checks.Single(c => c.Id == "briefs-current").Conditions.Select(c => c.Text));
        Assert.Contains(report.NotUnderstood, n => n.Contains("Memory usage > 90%", StringComparison.Ordinal));
        // "signals this week" counts recent rows: some are expected.
        var fresh = w.Services.SelectMany(s => s.Checks).Single(c => c.Spec is SqlCheckSpec { Query: var q } && q.Contains("signals", StringComparison.Ordinal));
        Assert.Equal(["[VALUE] > 0"], fresh.Conditions.Select(c => c.Text));
        Assert.Contains(report.NotUnderstood, n => n.Contains("informational", StringComparison.Ordinal));
    }

    [Fact]
    public void Drafts_from_random_runbooks_always_validate()
    {
        var random = new Random(11);
        string[] pieces =
        [
            "# Ops Book\n", "## Services\n\n| Service | Port | Health Check |\n|---|---|---|\n| API (main) | 8000 | `GET /health` |\n| Worker | — | logs |\n| DB | 5432 | `pg_isready` |\n| Proxy | 80/443 | `curl -s localhost` |\n\n",
            "## Severity\n\n| Level | Response Time |\n|---|---|\n| **P1 - Critical** | 15 min |\n| SEV2 High | 2 hours |\n| P3 | whenever |\n\n",
            "### Severity Levels\n\n**P0 - Down**:\n- Response time: Immediate\n\n**P1 - Slow**:\n- Response time: < 30 minutes\n\n",
            "## Daily Checks\n\n**Frequency**: Every weekday at 7:30 AM\n\n", "## Weekly Tasks (Every Monday)\n\n- [ ] rotate\n\n", "## Quarterly\n\n",
            "```bash\ncurl https://api.example.com/health\ncurl -s http://10.0.0.5:9000/status\n```\n", "```bash\nredis-cli -h cache.internal LLEN jobs:high\nredis-cli -h cache.internal -p 6380 PING\n```\n",
            "Task queue depth < 250\n\n", "## Escalation\n\n1. Call the lead\n", "## Daily Checks\n\n", "## Services\n\n| Service | Port |\n|---|---|\n| API (main) | 8000 |\n\n",
            "## Odd `name` with ünïcode & symbols!\n\n**Schedule**: monthly at 25:99\n\n", "| Component | Endpoint |\n|---|---|\n| x\"y'z | GET /a b |\n\n",
            "### Escalation Paths\n\n**P0 Incidents**:\n1. On-call engineer (immediate)\n2. Manager (if no response in 15 min)\n\n**P1 Incidents**:\n1. On-call engineer\n2. CTO (if no response in 2 hours)\n\n",
            "### Escalation\n\n1. **Level 1:** On-call (15 min response)\n2. **Level 2:** Lead (1 hour response)\n\n", "| Role | Email |\n|---|---|\n| Lead | lead@example.com |\n| On-call | not-an-email |\n\n",
            "```\nManager: boss@example.com\nCTO: cto@example.com\n```\n", "### SLO Targets\n\n| SLI | Target |\n|---|---|\n| Availability | >= 99.9% |\n| p99 Latency | < 2s |\n| Error Rate | < 0.5% |\n| Freshness | daily |\n\n",
            "### Alert Thresholds\n\n```yaml\n- name: APIDown\n  condition: health != 200\n  duration: 2m\n  severity: P0\n- name: Queue\n  condition: queue_depth > 300\n  duration: oops\n  severity: P9\n- name: Disk\n  condition: disk_usage > 85%\n```\n",
            "```yaml\ngroups:\n  - name: x\n    rules:\n      - alert: HostDown\n        expr: up == 0\n        for: 5m\n        labels: { severity: critical }\n```\n", "```yaml\n: broken: [yaml\n```\n",
            "### Critical Alerts (Page immediately)\n\n- Health check failed (3+ consecutive failures)\n- Disk > 95%\n- SSL certificate expiring (< 14 days)\n- Memory > 90%\n\n",
            "### Warning Alerts\n\n- Queue depth > 50\n- Database connection errors\n\n", "### Info Alerts (Log only)\n\n- Job done\n\n",
            "### Critical Endpoints\n\n| Endpoint | Expected Response |\n|---|---|\n| `GET /health` | `{\"status\":\"ok\",\"n\":1}` |\n| `GET /x y` | 302 or 200 |\n| `POST /jobs` | 201 |\n| `GET /v` | `{bad json` |\n\n", "## Queue\n\n**Alert**: `HighQueueDepth` — queue depth > 400 for 10 minutes (P1)\n\n**Alert**: `ApiDown` when the health check fails for 2 min\n\n", "## Escalation Matrix\n\n| Level | Contact | Time |\n|---|---|---|\n| 1 | Ops (ops@example.com) | 10 min |\n| 2 | |  |\n\n", "| Tier | Who |\n|---|---|\n| P1 | a@b.co |\n\n",
        ];
        for (var n = 0; n < 150; n++)
        {
            DraftText(string.Concat(Enumerable.Range(0, random.Next(1, 12)).Select(_ => pieces[random.Next(pieces.Length)])));
        }
    }

    [Fact]
    public void An_escalation_table_becomes_a_policy_with_its_people_and_waits()
    {
        var (w, _) = DraftText("""
            # Ops

            ## Escalation Matrix

            | Level | Contact | Response Time |
            |---|---|---|
            | L1 | On-call engineer | 15 min |
            | L2 | Team lead (lead@example.com) | 30 min |
            | L3 | Head of Engineering | 1 hour |
            """);
        var policy = w.EscalationPolicies.Single();
        Assert.Equal("escalation-matrix", policy.Id);
        Assert.Equal(["on-call-engineer", "team-lead", "head-of-engineering"], policy.Steps.Select(st => st.Notify.Single().Id));
        Assert.Equal([15, 30], policy.Steps.Take(2).Select(st => (int)st.Wait.TotalMinutes));
        Assert.Equal("lead@example.com", w.Users.Single(u => u.Id == "team-lead").Email);
    }

    [Fact]
    public void An_alert_line_attaches_to_its_check_with_its_threshold_duration_and_severity()
    {
        var (w, _) = DraftText("""
            # Ops

            | Level | Response |
            |---|---|
            | P1 | 15 min |
            | P2 | 1 hour |

            ## Queue

            ```bash
            redis-cli LLEN celery
            ```

            **Alert**: `HighQueueDepth` — queue depth > 400 for 10 minutes (P2)
            """);
        var queue = w.Services.SelectMany(s => s.Checks).Single(c => c.Spec is RedisCheckSpec);
        Assert.Equal(["[VALUE] <= 400"], queue.Conditions.Select(c => c.Text));
        Assert.Equal(("P2", TimeSpan.FromMinutes(10)), (queue.Alert!.Severity, queue.Alert.For!.Value));
    }

    [Theory]
    [InlineData("Every weekday at 9:00 AM", "0 9 * * 1-5")]
    [InlineData("Every Sunday at 2:00 AM", "0 2 * * 0")]
    [InlineData("Daily at 6 PM", "0 18 * * *")]
    [InlineData("Weekly Tasks (Every Monday)", "0 9 * * 1")]
    [InlineData("Monthly", "0 9 1 * *")]
    [InlineData("Quarterly review", "0 9 1 1,4,7,10 *")]
    public void Schedules_in_words_become_cron(string text, string cron) => Assert.Equal(cron, WorkspaceDraft.Cron(text, heading: true));
}

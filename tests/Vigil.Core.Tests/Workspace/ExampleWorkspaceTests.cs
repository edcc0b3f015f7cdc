using Vigil.Core.Workspace;

namespace Vigil.Core.Tests.Workspace;

// The workspaces under examples/ are what newcomers copy: they must always validate.
public sealed class ExampleWorkspaceTests
{
    private const string WebhookUrl = "https://hooks.example.com/services/T000/B000/stm-secret-token";

    private static string Example(string name) => Path.Combine(AppContext.BaseDirectory, "examples", name);

    private static WorkspaceModel LoadStm()
    {
        var result = new WorkspaceLoader(name => name == "STM_ALERT_WEBHOOK_URL" ? WebhookUrl : null).Load(Example("stm-intelligence-brief"));
        Assert.True(result.Ok, string.Join(Environment.NewLine, result.Errors));
        return result.Workspace!;
    }

    [Fact]
    public void Demo_validates_without_any_environment_variable()
    {
        var result = new WorkspaceLoader(_ => null).Load(Example("demo"));
        Assert.True(result.Ok, string.Join(Environment.NewLine, result.Errors));
        var w = result.Workspace!;
        Assert.Equal("Demo Shop", w.Name);
        Assert.DoesNotContain("${", File.ReadAllText(Path.Combine(Example("demo"), "vigil.yaml")), StringComparison.Ordinal);
        Assert.All(
            w.Services.SelectMany(s => s.Checks).Select(c => c.Spec).OfType<HttpCheckSpec>(),
            http => Assert.StartsWith("http://127.0.0.1:5080/demo/", http.Url, StringComparison.Ordinal));
        Assert.Contains(w.Services.SelectMany(s => s.Checks), c => c.Kind == CheckKind.Heartbeat);
        Assert.Equal("logs/alerts.jsonl", Assert.Single(w.Channels).Path);
    }

    [Fact]
    public void Demo_validates_when_given_with_a_trailing_slash()
    {
        var result = new WorkspaceLoader(_ => null).Load(Example("demo") + Path.DirectorySeparatorChar);
        Assert.True(result.Ok, string.Join(Environment.NewLine, result.Errors));
    }

    [Fact]
    public void Stm_validates_when_its_webhook_variable_is_set()
    {
        var w = LoadStm();
        Assert.Equal("STM Intelligence Brief", w.Name);
        Assert.Equal("UTC", w.Timezone);
    }

    [Fact]
    public void Stm_without_its_webhook_variable_names_the_variable()
    {
        var result = new WorkspaceLoader(_ => null).Load(Example("stm-intelligence-brief"));
        var error = Assert.Single(result.Errors);
        Assert.Contains("environment variable STM_ALERT_WEBHOOK_URL is not set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Stm_documents_every_variable_it_uses_at_the_top()
    {
        var text = File.ReadAllText(Path.Combine(Example("stm-intelligence-brief"), "vigil.yaml"));
        var header = string.Concat(text.Split('\n').TakeWhile(l => l.StartsWith('#')));
        var used = System.Text.RegularExpressions.Regex.Matches(text, @"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}").Select(m => m.Groups[1].Value).Distinct();
        Assert.All(used, v => Assert.Contains(v, header, StringComparison.Ordinal));
    }

    [Fact]
    public void Stm_has_the_services_of_its_runbook()
    {
        var w = LoadStm();
        Assert.Equal(["backend", "postgres", "brief-scheduler", "frontend", "backups", "host"], w.Services.Select(s => s.Id));

        var backend = w.FindService("backend")!;
        var health = backend.Checks.Single(c => c.Id == "health");
        Assert.Equal("https://api.example.com/health", ((HttpCheckSpec)health.Spec).Url);
        Assert.Equal(["[STATUS] == 200", "[BODY].status == ok"], health.Conditions.Select(c => c.Text));
        Assert.Equal(2, health.Alert!.After);
        Assert.Equal("#service-down", health.Alert.Runbook);
        Assert.Equal(["[STATUS] == any(200, 204)"], backend.Checks.Single(c => c.Id == "briefs-current").Conditions.Select(c => c.Text));
        Assert.Equal(["[CERTIFICATE_EXPIRATION] > 720h"], backend.Checks.Single(c => c.Kind == CheckKind.Tls).Conditions.Select(c => c.Text));

        var brief = (HeartbeatCheckSpec)w.FindService("brief-scheduler")!.Checks.Single().Spec;
        Assert.Equal("0 17 * * SUN", brief.Schedule);
        Assert.Equal(TimeSpan.FromHours(1), brief.Grace);

        var backup = (FileCheckSpec)w.FindService("backups")!.Checks.Single().Spec;
        Assert.Equal("/backups/backup_*.dump", backup.Glob);
        Assert.Equal(1 << 20, backup.MinSize);

        Assert.Contains(w.FindService("host")!.Checks, c => c.Kind == CheckKind.Disk);
        Assert.Contains(w.FindService("postgres")!.Checks, c => c.Spec is CommandCheckSpec { Run: var run } && run.Contains("pg_isready", StringComparison.Ordinal));
    }

    [Fact]
    public void Stm_has_the_severities_of_its_monitoring_alerts_and_escalation_path()
    {
        var w = LoadStm();
        Assert.Equal(
            [
                ("critical", "Critical", TimeSpan.FromMinutes(15), true),
                ("warning", "Warning", TimeSpan.FromMinutes(30), false),
                ("info", "Info", TimeSpan.FromHours(1), false),
            ],
            w.Severities.Select(s => (s.Id, s.Name, s.RespondWithin!.Value, s.Page)));
    }

    [Fact]
    public void Stm_escalates_from_on_call_to_devops_lead_to_cto()
    {
        var w = LoadStm();
        var policy = w.EscalationPolicies.Single(p => p.Id == "default");
        Assert.Equal(
            [
                ("schedule:primary", TimeSpan.FromMinutes(15)),
                ("user:devops-lead", TimeSpan.FromMinutes(30)),
                ("user:cto channel:team-webhook", TimeSpan.FromHours(1)),
            ],
            policy.Steps.Select(s => (string.Join(' ', s.Notify), s.Wait)));
        Assert.Equal(["oncall-alex", "oncall-sam"], w.Schedules.Single().Layers.Single().Rotation.Members);
        Assert.Contains(w.Users, u => u.Email == "dba@example.com");
    }

    [Fact]
    public void Stm_schedules_the_runbooks_maintenance_checklists()
    {
        var w = LoadStm();
        var weekly = w.Maintenance.Tasks.Single(t => t.Id == "weekly");
        Assert.Equal("0 9 * * MON", weekly.Cron);
        Assert.Equal("runbooks/stm-intelligence-brief.md#weekly-tasks-every-monday", weekly.Runbook);
        Assert.Contains(w.Maintenance.Tasks, t => t.Id == "monthly");
        Assert.Contains(w.Maintenance.Tasks, t => t.Id == "quarterly");
        Assert.NotEmpty(w.Maintenance.Windows);
        Assert.Equal([IntegrationType.Alertmanager, IntegrationType.Pagerduty], w.Integrations.Select(i => i.Type));
    }

    [Fact]
    public void Stm_webhook_url_is_a_secret_and_redacted()
    {
        var w = LoadStm();
        Assert.Equal(WebhookUrl, w.Channels.Single(c => c.Type == ChannelType.Webhook).Url);
        Assert.Equal("POST *** → 500", w.Secrets.Redact($"POST {WebhookUrl} → 500"));
    }
}

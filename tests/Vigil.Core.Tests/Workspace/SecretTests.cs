using Vigil.Core.Workspace;

namespace Vigil.Core.Tests.Workspace;

// ${ENV_VAR} references and the secrets they (and secret-typed keys) put into Workspace.Secrets.
public sealed class SecretTests
{
    private static readonly Dictionary<string, string> Env = new()
    {
        ["TEAM"] = "Platform Team",
        ["SLACK_TOKEN"] = "T0001/B0001/abcdefXYZ",
        ["SMTP_PASSWORD"] = "s3cret-mail",
    };

    [Fact]
    public void Environment_variable_reference_resolves_from_the_loaders_environment()
    {
        var w = TestWorkspace.Valid("""
            name: "${TEAM} (prod)"
            """, Env);
        Assert.Equal("Platform Team (prod)", w.Name);
    }

    [Fact]
    public void Resolved_value_and_the_variable_itself_are_secrets()
    {
        var w = TestWorkspace.Valid("""
            name: Test
            channels:
              - { id: chat, type: slack, url: "https://hooks.slack.com/services/${SLACK_TOKEN}" }
            """, Env);
        Assert.Equal("https://hooks.slack.com/services/T0001/B0001/abcdefXYZ", w.Channels[0].Url);
        Assert.True(w.Secrets.Contains("https://hooks.slack.com/services/T0001/B0001/abcdefXYZ"));
        // The token alone, wherever it turns up (a driver's exception, a differently built URL), is masked too.
        Assert.Equal("token *** rejected", w.Secrets.Redact("token T0001/B0001/abcdefXYZ rejected"));
    }

    [Fact]
    public void Double_dollar_is_a_literal_dollar_and_not_a_reference()
    {
        var w = TestWorkspace.Valid("""
            name: "Costs $$5 ($${NOT_A_VAR})"
            """);
        Assert.Equal("Costs $5 (${NOT_A_VAR})", w.Name);
        Assert.Equal(0, w.Secrets.Count);
    }

    [Fact]
    public void Dollar_not_followed_by_a_brace_is_kept_as_written()
    {
        var w = TestWorkspace.Valid("""
            name: Test
            services:
              - id: host
                checks:
                  - id: memory
                    command: { run: "free | awk '{ print $3 }'", shell: true }
                    conditions: ["[VALUE] < 90"]
            """);
        Assert.Equal("free | awk '{ print $3 }'", ((CommandCheckSpec)w.Services[0].Checks[0].Spec).Run);
    }

    [Fact]
    public void Unclosed_reference_is_rejected()
    {
        Assert.Equal(
            ["vigil.yaml:1:7: unclosed ${ in value (write ${NAME}, or $${ for a literal ${)"],
            TestWorkspace.Errors("""
                name: "${TEAM"
                """, Env));
    }

    [Fact]
    public void Secret_typed_keys_are_secrets_even_when_written_inline()
    {
        var w = TestWorkspace.Valid("""
            name: Test
            users:
              - { id: lead, webhook: "https://hooks.example.com/lead-4f9a" }
            channels:
              - { id: ops, type: webhook, url: "https://hooks.example.com/ops-77aa", headers: { Authorization: "Bearer tok-123456" } }
              - { id: mail, type: email, smtp: "smtp://vigil:mailpass@127.0.0.1:25", from: vigil@example.com }
            services:
              - id: backend
                checks:
                  - id: db
                    postgres: { connection: "Host=127.0.0.1;Username=app;Password=pgpass-1" }
                  - id: queue
                    redis: { url: "redis://:redispass@127.0.0.1:6379", command: "LLEN celery" }
                    conditions: ["[VALUE] < 1000"]
                  - id: stuck
                    sql: { driver: sqlite, connection: "Data Source=jobs.db", query: "SELECT count(*) FROM jobs" }
                    conditions: ["[VALUE] == 0"]
                  - id: api
                    http: { url: "http://127.0.0.1:8000/health", headers: { X-Api-Key: "api-key-0042" } }
                    conditions: ["[STATUS] == 200"]
                  - id: cron
                    heartbeat: { period: 1h, key: ping-key-0042 }
            integrations:
              - { id: pd, type: pagerduty, service: backend, key: "routing-key-0123456789" }
            """);
        string[] secrets =
        [
            "https://hooks.example.com/lead-4f9a",
            "https://hooks.example.com/ops-77aa",
            "Bearer tok-123456",
            "smtp://vigil:mailpass@127.0.0.1:25",
            "Host=127.0.0.1;Username=app;Password=pgpass-1",
            "redis://:redispass@127.0.0.1:6379",
            "Data Source=jobs.db",
            "api-key-0042",
            "ping-key-0042",
            "routing-key-0123456789",
        ];
        foreach (var s in secrets) Assert.True(w.Secrets.Contains(s), $"'{s}' should be a secret");
        Assert.Equal(secrets.Length, w.Secrets.Count);
        Assert.False(w.Secrets.Contains("http://127.0.0.1:8000/health"));
    }

    [Fact]
    public void Redact_masks_every_secret_longest_first()
    {
        var set = new SecretSet();
        set.Add("abcd");
        set.Add("abcdefgh");
        set.Add("ok"); // too short to mask without destroying the text
        Assert.Equal(2, set.Count);
        Assert.Equal("*** then *** ok", set.Redact("abcdefgh then abcd ok"));
    }

    [Fact]
    public void Redact_among_thousands_of_secrets_masks_the_ones_present_and_sees_secrets_added_after_a_use()
    {
        var set = new SecretSet();
        for (var i = 0; i < 2000; i++) set.Add($"hb-key-{i:D4}-secret");
        Assert.Equal("nothing to hide here", set.Redact("nothing to hide here"));
        Assert.Equal("ping *** then ***.", set.Redact("ping hb-key-1234-secret then hb-key-0007-secret."));
        set.Add("late-token-abcdef");
        Assert.Equal("a *** b ***", set.Redact("a late-token-abcdef b hb-key-1999-secret"));
        // The longest first still holds: a secret containing another is masked whole.
        set.Add("hb-key-0001-secret-and-more");
        Assert.Equal("x *** y", set.Redact("x hb-key-0001-secret-and-more y"));
    }

    [Fact]
    public void Redact_masks_url_passwords_it_was_not_told_about()
    {
        var set = new SecretSet();
        Assert.Equal("connect postgres://app:***@db:5432/x failed", set.Redact("connect postgres://app:hunter2@db:5432/x failed"));
    }

    [Theory]
    [InlineData("postgres://u:pw@h/db", "postgres://u:***@h/db")]
    [InlineData("redis://:pw@127.0.0.1:6379", "redis://:***@127.0.0.1:6379")]
    [InlineData("smtp://user:p%40ss@mail:587", "smtp://user:***@mail:587")]
    [InlineData("Host=h;Password=secret;Username=u", "Host=h;Password=***;Username=u")]
    [InlineData("Server=h; pwd = secret ;", "Server=h; pwd=*** ;")]
    [InlineData("https://example.com/health", "https://example.com/health")]
    [InlineData("postgres://u@h/db", "postgres://u@h/db")]
    public void RedactUrlCredentials_masks_passwords_in_urls_and_connection_strings(string text, string redacted)
    {
        Assert.Equal(redacted, SecretSet.RedactUrlCredentials(text));
    }

    [Theory]
    [InlineData("https://hooks.slack.com/services/T0/B0/XYZ?x=1", "https://hooks.slack.com/***")]
    [InlineData("http://127.0.0.1:9000/hook", "http://127.0.0.1:9000/***")]
    [InlineData("not a url", "***")]
    [InlineData("", "")]
    public void DescribeUrl_keeps_only_scheme_host_and_port(string url, string described)
    {
        Assert.Equal(described, SecretSet.DescribeUrl(url));
    }

    [Fact]
    public void Invalid_secret_url_is_reported_without_echoing_it()
    {
        var error = Assert.Single(TestWorkspace.Errors("""
            name: Test
            channels:
              - { id: ops, type: webhook, url: "${SLACK_TOKEN}" }
            """, Env));
        Assert.Equal("vigil.yaml:3:36: not a valid http or https URL (write http://host:port/…)", error);
        Assert.DoesNotContain("abcdefXYZ", error, StringComparison.Ordinal);
    }
}

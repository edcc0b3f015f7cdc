using Vigil.Core.Workspace;

namespace Vigil.Core.Tests.Workspace;

// docs/configuration.md promises these keys; a workspace using every one of them loads.
public sealed class DocumentedKeysTests
{
    [Fact]
    public void Workspace_using_every_documented_key_loads()
    {
        var env = new Dictionary<string, string>
        {
            ["OPS_WEBHOOK_URL"] = "https://hooks.example.com/ops",
            ["SMTP_PASSWORD"] = "mail-pass",
            ["DATABASE_URL"] = "postgres://app:pw@127.0.0.1:5432/app",
            ["SENTRY_ROUTING_KEY"] = "0123456789abcdef0123",
        };
        var w = TestWorkspace.Valid("""
            name: Everything
            timezone: Europe/Berlin
            severities:
              - { id: P1, name: Critical, respond_within: 15m, page: true, description: "Page" }
              - { id: P2, name: High, respond_within: 1h, page: false }
            users:
              - { id: alice, name: Alice, email: alice@example.com, role: responder }
              - { id: bob, name: Bob, email: bob@example.com, phone: "+49 30 1234567", webhook: "https://hooks.example.com/bob", slack: "https://hooks.slack.com/services/T0/B0/x", role: admin, timezone: America/New_York }
            schedules:
              - id: primary
                name: Primary
                timezone: UTC
                rotation: { every: 1w, handoff: "Mon 09:00", start: 2026-11-02, members: [alice, bob] }
              - id: layered
                layers:
                  - { id: primary, rotation: { every: 1d, handoff: "09:00", start: 2026-11-02, members: [alice], restrictions: [{ days: Mon-Fri, from: "09:00", until: "17:00" }] } }
                  - { id: nights, rotation: { every: 1w, start: 2026-11-02, members: [bob], restrictions: [{ days: [weekdays, Sun], from: "17:00", until: "09:00" }, { days: [Sat], from: "00:00", until: "24:00" }] } }
                overrides:
                  - { user: bob, from: "2026-11-20T09:00:00+01:00", until: "2026-11-21T09:00:00Z" }
            escalation_policies:
              - id: default
                steps:
                  - { notify: [schedule:primary], wait: 15m }
                  - { notify: [user:bob, "channel: ops"] }
                repeat: 2
            channels:
              - { id: ops, type: webhook, url: "${OPS_WEBHOOK_URL}", headers: { X-Token: abcdef }, template: "{{ incident.title }}" }
              - { id: chat, type: slack, url: "https://hooks.slack.com/services/T/B/X" }
              - { id: mail, type: email, smtp: "smtps://vigil:${SMTP_PASSWORD}@mail.example.com:465", from: vigil@example.com, to: [ops@example.com] }
              - { id: log, type: jsonl, path: logs/alerts.jsonl }
            services:
              - id: backend
                name: Backend
                description: The API
                runbook: runbooks/ops.md
                escalation: default
                notify: [ops, log]
                tags: [api]
                auto_resolve: true
                checks:
                  - id: health
                    description: The health endpoint
                    http: { url: "https://api.example.com/health", method: post, headers: { Accept: application/json }, body: "{}", follow_redirects: false, verify_tls: no, fresh_connection: yes }
                    interval: 30s
                    timeout: 5s
                    conditions: ["[STATUS] == 200"]
                    warn: "[RESPONSE_TIME] < 500"
                    alert: { severity: P1, after: 2, recover_after: 3, runbook: "#service-down", on: degraded, dedup_key: "{service}/{check}" }
                  - { id: port, tcp: { host: 127.0.0.1, port: 8000, send: "PING", expect: "PONG" } }
                  - { id: dns, dns: { name: api.example.com, type: cname, server: 1.1.1.1, expect: [lb.example.com] } }
                  - { id: cert, tls: { host: api.example.com, port: 8443, server_name: api.example.com }, conditions: ["[CERTIFICATE_EXPIRATION] > 720h"] }
                  - { id: db, postgres: { connection: "${DATABASE_URL}", query: "SELECT 1" } }
                  - { id: queue, redis: { url: "rediss://127.0.0.1:6380", command: "LLEN celery" }, conditions: ["[VALUE] < 1000"], alert: { severity: P2, for: 15m, runbook: "runbooks/ops.md#service-down" } }
                  - { id: stuck, sql: { driver: sqlite, connection: "Data Source=jobs.db", query: "SELECT count(*) FROM jobs" }, conditions: ["[VALUE] == 0"] }
                  - { id: ready, command: { run: "pg_isready", shell: true, working_directory: /srv } }
                  - { id: disk, disk: { path: / }, conditions: ["[VALUE] < 90"] }
                  - { id: backup, file: { glob: "/backups/*.dump", max_age: 26h, min_size: 1MB } }
                  - { id: cron, heartbeat: { schedule: "0 17 * * SUN", timezone: UTC, grace: 30m, key: cron-key-0001 } }
                  - { id: worker, heartbeat: { period: 1m } }
                slos:
                  - { id: availability, check: health, objective: 99.5%, window: 30d }
                  - { id: latency, check: health, objective: 99%, window: 7d, latency: 300ms }
            integrations:
              - { id: prom, type: alertmanager, service: backend, severity_label: priority, severity_map: { page: P1, ticket: P2 }, rate_limit: 100/s }
              - { id: sentry, type: pagerduty, service: backend, key: "${SENTRY_ROUTING_KEY}", severity: P2 }
            runbooks:
              execution: enabled
              step_timeout: 2m
              confirm_destructive: responder
              output_limit: 2MB
              working_directory: runbooks
              environment: [PATH, KUBECONFIG]
              database: { driver: postgres, connection: "${DATABASE_URL}" }
            maintenance:
              windows:
                - { id: monthly, services: [backend], cron: "0 6 1 * *", duration: 1h, timezone: UTC }
              tasks:
                - { id: weekly, name: Weekly, cron: "0 9 * * MON", timezone: Europe/Berlin, runbook: "runbooks/ops.md#weekly-tasks-every-monday", assignee: alice, grace: 1d }
            """, env);
        Assert.Equal(12, w.Services[0].Checks.Count);
        Assert.Equal(Enum.GetValues<CheckKind>().Order(), w.Services[0].Checks.Select(c => c.Kind).Distinct().Order());
        Assert.Equal((ExecutionMode.Enabled, TimeSpan.FromMinutes(2), Role.Responder, 2L * 1024 * 1024, "runbooks"),
            (w.Runbooks.Execution, w.Runbooks.StepTimeout, w.Runbooks.ConfirmDestructive, w.Runbooks.OutputLimit, w.Runbooks.WorkingDirectory));
        Assert.Equal(["PATH", "KUBECONFIG"], w.Runbooks.Environment);
        Assert.Equal(new RunbookDatabase(SqlDriver.Postgres, "postgres://app:pw@127.0.0.1:5432/app"), w.Runbooks.Database);
        Assert.Equal("ops", Assert.Single(w.RunbookDocuments).Id);
        Assert.Equal("channel:ops", w.EscalationPolicies[0].Steps[1].Notify[1].ToString());
        Assert.Equal(TimeSpan.FromMinutes(15), w.EscalationPolicies[0].Steps[1].Wait);
    }
}

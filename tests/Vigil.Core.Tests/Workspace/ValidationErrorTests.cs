namespace Vigil.Core.Tests.Workspace;

// One test per kind of error the loader reports, each asserting the exact line the user
// sees: `vigil.yaml:LINE:COL: message (hint)`. Lines and columns are 1-based, as editors count.
public sealed class ValidationErrorTests
{
    private static void AssertSingle(string expected, string yaml, IReadOnlyDictionary<string, string>? env = null) =>
        TestWorkspace.AssertSingleError(expected, yaml, env);

    [Fact]
    public void Yaml_syntax_error_points_at_where_the_parser_stopped()
    {
        var errors = TestWorkspace.Errors("""
            name: Test
            services:
              - id: backend
                name: "Backend
            """);
        var error = Assert.Single(errors);
        Assert.StartsWith("vigil.yaml:4:", error, StringComparison.Ordinal);
        Assert.Contains(": YAML syntax error: ", error, StringComparison.Ordinal);
        Assert.EndsWith("(check indentation and quoting near this place)", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_key_suggests_the_key_that_was_meant()
    {
        AssertSingle(
            "vigil.yaml:6:9: unknown key `intervl` in a check of service 'backend' (did you mean `interval`?)",
            """
            name: Test
            services:
              - id: backend
                checks:
                  - id: health
                    intervl: 30s
                    http: { url: "http://127.0.0.1:8000/health" }
                    conditions: ["[STATUS] == 200"]
            """);
    }

    [Fact]
    public void Unknown_key_far_from_any_known_key_lists_the_known_keys()
    {
        AssertSingle(
            "vigil.yaml:2:1: unknown key `pagerduty` in vigil.yaml (expected one of: name, timezone, severities, users, schedules, escalation_policies, channels, services, integrations, runbooks, maintenance)",
            """
            name: Test
            pagerduty: yes
            """);
    }

    [Fact]
    public void Duration_written_in_words_is_rejected_with_the_short_form_as_hint()
    {
        AssertSingle(
            "vigil.yaml:3:47: `respond_within`: '15 minutes' is not a duration (use 15m)",
            """
            name: Test
            severities:
              - { id: P1, name: Critical, respond_within: 15 minutes }
            """);
    }

    [Fact]
    public void Duration_below_the_minimum_is_rejected()
    {
        AssertSingle(
            "vigil.yaml:8:19: `interval` is 500ms, below the minimum of 1s (use at least 1s)",
            """
            name: Test
            services:
              - id: backend
                checks:
                  - id: health
                    http: { url: "http://127.0.0.1:8000/health" }
                    conditions: ["[STATUS] == 200"]
                    interval: 500ms
            """);
    }

    [Fact]
    public void Objective_written_as_a_fraction_is_rejected_with_the_percentage_as_hint()
    {
        AssertSingle(
            "vigil.yaml:9:55: `objective`: '0.995' is not a percentage (write it as a percentage: 99.5%)",
            """
            name: Test
            services:
              - id: backend
                checks:
                  - id: health
                    http: { url: "http://127.0.0.1:8000/health" }
                    conditions: ["[STATUS] == 200"]
                slos:
                  - { id: availability, check: health, objective: 0.995 }
            """);
    }

    [Fact]
    public void Objective_of_100_percent_is_rejected()
    {
        AssertSingle(
            "vigil.yaml:9:55: `objective`: '100%' is not a percentage (an objective is above 0% and below 100%, e.g. 99.5%)",
            """
            name: Test
            services:
              - id: backend
                checks:
                  - id: health
                    http: { url: "http://127.0.0.1:8000/health" }
                    conditions: ["[STATUS] == 200"]
                slos:
                  - { id: availability, check: health, objective: 100% }
            """);
    }

    [Fact]
    public void Unknown_severity_in_an_alert_lists_the_defined_ones()
    {
        AssertSingle(
            "vigil.yaml:11:28: no severity 'critical' (defined: P1, P2)",
            """
            name: Test
            severities:
              - { id: P1 }
              - { id: P2 }
            services:
              - id: backend
                checks:
                  - id: health
                    http: { url: "http://127.0.0.1:8000/health" }
                    conditions: ["[STATUS] == 200"]
                    alert: { severity: critical }
            """);
    }

    [Fact]
    public void Unknown_user_in_a_rotation_suggests_a_close_one()
    {
        AssertSingle(
            "vigil.yaml:7:57: no user 'alcie' (did you mean `alice`?)",
            """
            name: Test
            users:
              - { id: alice }
              - { id: bob }
            schedules:
              - id: primary
                rotation: { every: 1w, start: 2026-11-02, members: [alcie, bob] }
            """);
    }

    [Fact]
    public void Unknown_user_with_no_users_defined_says_to_define_one()
    {
        AssertSingle(
            "vigil.yaml:6:17: no user 'carol' (define a user with id 'carol' first)",
            """
            name: Test
            maintenance:
              tasks:
                - id: weekly
                  cron: "0 9 * * MON"
                  assignee: carol
            """);
    }

    [Fact]
    public void Unknown_schedule_in_an_escalation_step_points_at_the_target_and_lists_the_defined_ones()
    {
        AssertSingle(
            "vigil.yaml:11:13: no schedule 'secondary' (defined: primary)",
            """
            name: Test
            users:
              - { id: alice }
            schedules:
              - id: primary
                rotation: { every: 1w, start: 2026-11-02, members: [alice] }
            escalation_policies:
              - id: default
                steps:
                  - notify:
                      - schedule:secondary
                    wait: 15m
            """);
    }

    [Fact]
    public void Escalation_target_without_a_kind_is_rejected()
    {
        AssertSingle(
            "vigil.yaml:7:20: 'alice' is not an escalation target (write schedule:ID, user:ID or channel:ID)",
            """
            name: Test
            users:
              - { id: alice }
            escalation_policies:
              - id: default
                steps:
                  - { notify: [alice], wait: 15m }
            """);
    }

    [Fact]
    public void Unknown_escalation_policy_of_a_service_suggests_a_close_one()
    {
        AssertSingle(
            "vigil.yaml:8:17: no escalation policy 'defualt' (did you mean `default`?)",
            """
            name: Test
            users:
              - { id: alice }
            escalation_policies:
              - { id: default, steps: [{ notify: [user:alice] }] }
            services:
              - id: backend
                escalation: defualt
            """);
    }

    [Fact]
    public void Unknown_channel_of_a_service_lists_the_defined_ones()
    {
        AssertSingle(
            "vigil.yaml:6:14: no channel 'slack' (defined: log)",
            """
            name: Test
            channels:
              - { id: log, type: jsonl, path: logs/alerts.jsonl }
            services:
              - id: backend
                notify: [slack]
            """);
    }

    [Fact]
    public void Unknown_service_of_an_integration_suggests_a_close_one()
    {
        AssertSingle(
            "vigil.yaml:5:46: no service 'backnd' (did you mean `backend`?)",
            """
            name: Test
            services:
              - id: backend
            integrations:
              - { id: prom, type: alertmanager, service: backnd }
            """);
    }

    [Fact]
    public void Unknown_service_in_a_maintenance_window_is_reported()
    {
        AssertSingle(
            "vigil.yaml:6:20: no service 'frontend' (defined: backend)",
            """
            name: Test
            services:
              - id: backend
            maintenance:
              windows:
                - { services: [frontend], cron: "0 2 * * SUN", duration: 1h }
            """);
    }

    [Fact]
    public void Slo_naming_a_check_the_service_does_not_have_is_reported()
    {
        AssertSingle(
            "vigil.yaml:9:9: no check in service 'backend' 'healthz' (did you mean `health`?)",
            """
            name: Test
            services:
              - id: backend
                checks:
                  - id: health
                    http: { url: "http://127.0.0.1:8000/health" }
                    conditions: ["[STATUS] == 200"]
                slos:
                  - { id: availability, check: healthz, objective: 99.5% }
            """);
    }

    [Fact]
    public void Missing_runbook_file_is_reported_relative_to_the_workspace()
    {
        AssertSingle(
            "vigil.yaml:4:14: runbook file 'runbooks/missing.md' does not exist (create it, or fix the path (relative to vigil.yaml))",
            """
            name: Test
            services:
              - id: backend
                runbook: runbooks/missing.md
            """);
    }

    [Fact]
    public void Runbook_outside_the_workspace_is_rejected()
    {
        AssertSingle(
            "vigil.yaml:4:14: runbook '../../etc/passwd' is outside the workspace (keep runbooks inside the workspace folder)",
            """
            name: Test
            services:
              - id: backend
                runbook: ../../etc/passwd
            """);
    }

    [Fact]
    public void Missing_runbook_section_suggests_the_closest_heading()
    {
        AssertSingle(
            "vigil.yaml:12:11: runbook 'runbooks/ops.md' has no section '#service-dwn' (did you mean `#service-down`?)",
            """
            name: Test
            severities:
              - { id: P1 }
            services:
              - id: backend
                runbook: runbooks/ops.md
                checks:
                  - id: health
                    http: { url: "http://127.0.0.1:8000/health" }
                    conditions: ["[STATUS] == 200"]
                    alert:
                      { severity: P1, runbook: "#service-dwn" }
            """);
    }

    [Fact]
    public void Section_only_runbook_reference_needs_a_service_runbook()
    {
        AssertSingle(
            "vigil.yaml:9:16: runbook section '#service-down' has no runbook to point into (give the service a `runbook:`, or write the file: runbooks/ops.md#service-down)",
            """
            name: Test
            severities:
              - { id: P1 }
            services:
              - id: backend
                checks:
                  - id: health
                    http: { url: "http://127.0.0.1:8000/health" }
                    alert: { severity: P1, runbook: "#service-down" }
                    conditions: ["[STATUS] == 200"]
            """);
    }

    [Fact]
    public void Duplicate_service_id_points_at_the_second_and_names_the_first()
    {
        AssertSingle(
            "vigil.yaml:4:5: duplicate service id 'backend' (first defined at line 3; ids must be unique)",
            """
            name: Test
            services:
              - id: backend
              - id: backend
            """);
    }

    [Fact]
    public void Duplicate_check_id_within_a_service_is_reported()
    {
        AssertSingle(
            "vigil.yaml:8:9: duplicate check of service 'backend' id 'health' (first defined at line 5; ids must be unique)",
            """
            name: Test
            services:
              - id: backend
                checks:
                  - id: health
                    http: { url: "http://127.0.0.1:8000/health" }
                    conditions: ["[STATUS] == 200"]
                  - id: health
                    tcp: { host: 127.0.0.1, port: 8000 }
            """);
    }

    [Fact]
    public void Same_check_id_in_two_services_is_fine()
    {
        TestWorkspace.Valid("""
            name: Test
            services:
              - id: backend
                checks:
                  - { id: port, tcp: { host: 127.0.0.1, port: 8000 } }
              - id: postgres
                checks:
                  - { id: port, tcp: { host: 127.0.0.1, port: 5432 } }
            """);
    }

    [Fact]
    public void Duplicate_user_id_is_reported()
    {
        AssertSingle(
            "vigil.yaml:4:5: duplicate user id 'alice' (first defined at line 3; ids must be unique)",
            """
            name: Test
            users:
              - { id: alice, email: alice@example.com }
              - { id: alice, email: alice2@example.com }
            """);
    }

    [Fact]
    public void Duplicate_key_in_one_mapping_is_reported()
    {
        AssertSingle(
            "vigil.yaml:3:1: key `timezone` appears twice in the same mapping (keep one of them)",
            """
            name: Test
            timezone: UTC
            timezone: Europe/Berlin
            """);
    }

    [Fact]
    public void Missing_environment_variable_is_named()
    {
        AssertSingle(
            "vigil.yaml:3:34: environment variable SLACK_WEBHOOK_URL is not set (export SLACK_WEBHOOK_URL=… before starting Vigil, or remove the reference)",
            """
            name: Test
            channels:
              - { id: ops, type: slack, url: "${SLACK_WEBHOOK_URL}" }
            """);
    }

    [Fact]
    public void Malformed_environment_variable_reference_is_rejected()
    {
        AssertSingle(
            "vigil.yaml:3:34: '${SLACK-URL}' is not a valid environment variable reference (use letters, digits and _ only, e.g. ${SLACK_WEBHOOK_URL})",
            """
            name: Test
            channels:
              - { id: ops, type: slack, url: "${SLACK-URL}" }
            """);
    }

    [Fact]
    public void Missing_required_key_names_it_with_an_example()
    {
        AssertSingle(
            "vigil.yaml:1:1: vigil.yaml is missing `name` (add `name: My Team`)",
            """
            timezone: UTC
            """);
    }

    [Fact]
    public void Missing_required_key_of_a_list_item_points_at_the_item()
    {
        AssertSingle(
            "vigil.yaml:3:5: a user is missing `id` (add `id: alice`)",
            """
            name: Test
            users:
              - { name: Alice, email: alice@example.com }
            """);
    }

    [Fact]
    public void List_where_a_mapping_is_expected_is_reported()
    {
        AssertSingle(
            "vigil.yaml:6:15: `http` of check 'backend/health' must be a mapping (key: value pairs) (found a list here)",
            """
            name: Test
            services:
              - id: backend
                checks:
                  - id: health
                    http: ["http://127.0.0.1:8000/health"]
                    conditions: ["[STATUS] == 200"]
            """);
    }

    [Fact]
    public void Mapping_where_a_list_is_expected_is_reported()
    {
        AssertSingle(
            "vigil.yaml:3:3: `severities` in vigil.yaml must be a list (start each item with '- ' on its own line, or write [a, b])",
            """
            name: Test
            severities:
              id: P1
            """);
    }

    [Fact]
    public void Mapping_where_a_single_value_is_expected_is_reported()
    {
        AssertSingle(
            "vigil.yaml:2:3: `name` in vigil.yaml must be a single value (found a mapping here; check the indentation)",
            """
            name:
              team: Test
            """);
    }

    [Fact]
    public void Unknown_time_zone_suggests_the_iana_name()
    {
        AssertSingle(
            "vigil.yaml:2:11: 'Europe/Berln' is not a time zone (did you mean `Europe/Berlin`?)",
            """
            name: Test
            timezone: Europe/Berln
            """);
    }

    [Fact]
    public void Invalid_cron_expression_is_reported_with_the_expected_shape()
    {
        var error = Assert.Single(TestWorkspace.Errors("""
            name: Test
            maintenance:
              tasks:
                - { id: weekly, cron: "0 9 * MON" }
            """));
        Assert.StartsWith("vigil.yaml:4:27: '0 9 * MON' is not a cron expression: ", error, StringComparison.Ordinal);
        Assert.EndsWith("(five fields: minute hour day-of-month month day-of-week, e.g. \"0 9 * * MON\")", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_with_no_kind_lists_the_kinds()
    {
        AssertSingle(
            "vigil.yaml:5:9: check 'backend/health' has no kind (add one of: http, tcp, dns, tls, postgres, redis, sql, command, disk, file, heartbeat, e.g. `http: { url: \"http://127.0.0.1:8000/health\" }`)",
            """
            name: Test
            services:
              - id: backend
                checks:
                  - id: health
                    interval: 30s
            """);
    }

    [Fact]
    public void Check_with_two_kinds_points_at_the_second()
    {
        AssertSingle(
            "vigil.yaml:7:14: check 'backend/health' has more than one kind (http, tcp) (split it into one check per kind)",
            """
            name: Test
            services:
              - id: backend
                checks:
                  - id: health
                    http: { url: "http://127.0.0.1:8000/health" }
                    tcp: { host: 127.0.0.1, port: 8000 }
            """);
    }

    [Fact]
    public void Http_check_without_conditions_is_rejected_because_it_could_never_fail()
    {
        AssertSingle(
            "vigil.yaml:5:9: check 'backend/health' has no `conditions` (add `conditions: [\"[STATUS] == 200\"]`)",
            """
            name: Test
            services:
              - id: backend
                checks:
                  - id: health
                    http: { url: "http://127.0.0.1:8000/health" }
            """);
    }

    [Fact]
    public void Heartbeat_with_both_period_and_schedule_is_rejected()
    {
        AssertSingle(
            "vigil.yaml:6:20: `heartbeat` of check 'scheduler/weekly' needs exactly one of `period` and `schedule` (write `period: 1h` for a job that runs every hour, or `schedule: \"0 17 * * SUN\"` for a cron job)",
            """
            name: Test
            services:
              - id: scheduler
                checks:
                  - id: weekly
                    heartbeat: { period: 1w, schedule: "0 17 * * SUN" }
            """);
    }

    [Fact]
    public void Heartbeat_with_an_interval_is_rejected_because_the_job_pings_vigil()
    {
        AssertSingle(
            "vigil.yaml:7:19: check 'scheduler/weekly': a heartbeat has no `interval`, the job pings Vigil (use `heartbeat: { period: 1h }` or `heartbeat: { schedule: \"0 17 * * SUN\" }`)",
            """
            name: Test
            services:
              - id: scheduler
                checks:
                  - id: weekly
                    heartbeat: { schedule: "0 17 * * SUN" }
                    interval: 1h
            """);
    }

    [Fact]
    public void Webhook_channel_without_url_is_rejected()
    {
        AssertSingle(
            "vigil.yaml:3:5: a channel is missing `url` (add `url: https://hooks.example.com/…`)",
            """
            name: Test
            channels:
              - { id: ops, type: webhook }
            """);
    }

    [Fact]
    public void Key_of_another_channel_type_is_rejected()
    {
        AssertSingle(
            "vigil.yaml:3:54: `url` does not apply to a jsonl channel (remove it, or change `type`)",
            """
            name: Test
            channels:
              - { id: log, type: jsonl, path: logs/a.jsonl, url: "http://127.0.0.1:9000/" }
            """);
    }

    [Fact]
    public void Channel_url_that_is_not_http_is_rejected_without_echoing_it()
    {
        AssertSingle(
            "vigil.yaml:3:36: not a valid http or https URL (write http://host:port/…)",
            """
            name: Test
            channels:
              - { id: ops, type: webhook, url: "ftp://secret-token@example.com/" }
            """);
    }

    [Fact]
    public void Misspelt_role_suggests_the_role_that_was_meant()
    {
        AssertSingle(
            "vigil.yaml:3:24: `role`: 'admn' is not one of viewer, responder, admin (did you mean `admin`?)",
            """
            name: Test
            users:
              - { id: alice, role: admn }
            """);
    }

    [Fact]
    public void Misspelt_channel_type_suggests_the_type_that_was_meant()
    {
        AssertSingle(
            "vigil.yaml:3:22: `type`: 'webhok' is not one of email, webhook, slack, jsonl (did you mean `webhook`?)",
            """
            name: Test
            channels:
              - { id: ops, type: webhok, url: "http://127.0.0.1:9000/" }
            """);
    }

    [Fact]
    public void Alert_with_both_after_and_for_is_rejected()
    {
        AssertSingle(
            "vigil.yaml:9:47: the alert of check 'backend/health' has both `after` and `for` (alert after N failures (`after: 2`) or after failing for a time (`for: 15m`), not both)",
            """
            name: Test
            severities: [{ id: P1 }]
            services:
              - id: backend
                checks:
                  - id: health
                    http: { url: "http://127.0.0.1:8000/health" }
                    conditions: ["[STATUS] == 200"]
                    alert: { severity: P1, after: 2, for: 5m }
            """);
    }

    [Fact]
    public void Override_ending_before_it_starts_is_rejected()
    {
        AssertSingle(
            "vigil.yaml:7:64: an override's `until` is not after its `from` (swap them, or fix the dates)",
            """
            name: Test
            users: [{ id: alice }, { id: bob }]
            schedules:
              - id: primary
                rotation: { every: 1w, start: 2026-11-02, members: [alice] }
                overrides:
                  - { user: bob, from: "2026-11-20T09:00:00+01:00", until: "2026-11-19T09:00:00+01:00" }
            """);
    }

    [Fact]
    public void Every_error_is_reported_at_once_sorted_by_position()
    {
        var errors = TestWorkspace.Errors("""
            name: Test
            timezone: Mars/Olympus
            severities:
              - { id: P1, respond_within: 15 minutes }
            services:
              - id: backend
                escalation: nowhere
                checks:
                  - id: health
                    intervl: 30s
                    http: { url: "http://127.0.0.1:8000/health" }
                    conditions: ["[STATUS] == 200"]
                    alert: { severity: P9 }
            users:
              - { id: alice, role: admn }
            """);
        Assert.Equal(
            [
                "vigil.yaml:2:11: 'Mars/Olympus' is not a time zone (use an IANA name such as Europe/Berlin or UTC)",
                "vigil.yaml:4:31: `respond_within`: '15 minutes' is not a duration (use 15m)",
                "vigil.yaml:7:17: no escalation policy 'nowhere' (define an escalation policy with id 'nowhere' first)",
                "vigil.yaml:10:9: unknown key `intervl` in a check of service 'backend' (did you mean `interval`?)",
                "vigil.yaml:13:28: no severity 'P9' (did you mean `P1`?)",
                "vigil.yaml:15:24: `role`: 'admn' is not one of viewer, responder, admin (did you mean `admin`?)",
            ],
            errors);
    }
    [Fact]
    public void An_id_with_characters_unfit_for_urls_is_rejected()
    {
        AssertSingle(
            "vigil.yaml:3:9: id 'back end/api' in a service is not a valid id (use up to 64 letters, digits, '-', '_' or '.', starting with a letter or digit, e.g. backend)",
            """
            name: Test
            services:
              - id: back end/api
            """);
    }

    [Fact]
    public void An_optional_section_written_empty_reads_as_absent()
    {
        Assert.Empty(TestWorkspace.Errors("""
            name: Test
            runbooks:
            maintenance:
            services:
            """));
    }
}

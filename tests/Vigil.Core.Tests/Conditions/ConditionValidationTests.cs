using Vigil.Core.Tests.Workspace;

namespace Vigil.Core.Tests.Conditions;

// The loader parses every condition, so a malformed one is reported at the exact line and
// column of the offending character inside the YAML scalar, quoted or not.
public sealed class ConditionValidationTests
{
    private static void AssertSingle(string expected, string yaml, IReadOnlyDictionary<string, string>? env = null) =>
        TestWorkspace.AssertSingleError(expected, yaml, env);

    [Fact]
    public void Unknown_placeholder_in_a_double_quoted_flow_item_points_at_its_bracket() =>
        AssertSingle(
            "vigil.yaml:7:42: unknown placeholder `[STATS]` (did you mean `[STATUS]`?)",
            """
            name: Test
            services:
              - id: backend
                checks:
                  - id: health
                    http: { url: "http://127.0.0.1:8000/health" }
                    conditions: ["[STATUS] == 200", "[STATS] == 200"]
            """);

    [Fact]
    public void Bad_operator_in_a_plain_block_item_points_at_the_operator() =>
        AssertSingle(
            "vigil.yaml:9:31: `=>` is not an operator (use `>=`)",
            """
            name: Test
            services:
              - id: backend
                checks:
                  - id: health
                    http: { url: "http://127.0.0.1:8000/health" }
                    conditions: ["[STATUS] == 200"]
                    warn:
                      - len([BODY].items) => 3
            """);

    [Fact]
    public void Error_in_a_single_quoted_scalar_counts_the_quote() =>
        AssertSingle(
            "vigil.yaml:7:32: `>` compares numbers, and `high` is not a number (use == or != to compare text)",
            """
            name: Test
            services:
              - id: db
                checks:
                  - id: stuck
                    sql: { driver: sqlite, connection: "Data Source=jobs.db", query: "SELECT count(*) FROM jobs" }
                    conditions: '[VALUE] > high'
            """);

    [Fact]
    public void Placeholder_the_kind_never_fills_is_rejected_with_what_it_fills() =>
        AssertSingle(
            "vigil.yaml:7:23: [CERTIFICATE_EXPIRATION] is never filled by a redis check, so this condition could never hold (a redis check fills [CONNECTED], [RESPONSE_TIME], [BODY], [VALUE])",
            """
            name: Test
            services:
              - id: cache
                checks:
                  - id: ping
                    redis: { url: "redis://127.0.0.1:6379" }
                    conditions: ["[CERTIFICATE_EXPIRATION] > 720h"]
            """);

    [Fact]
    public void Certificate_expiration_on_plain_http_says_only_https_has_one() =>
        AssertSingle(
            "vigil.yaml:7:42: [CERTIFICATE_EXPIRATION] is never filled by a http check, so this condition could never hold (only an https:// URL has a certificate)",
            """
            name: Test
            services:
              - id: backend
                checks:
                  - id: health
                    http: { url: "http://127.0.0.1:8000/health" }
                    conditions: ["[STATUS] == 200", "[CERTIFICATE_EXPIRATION] > 720h"]
            """);

    [Fact]
    public void Certificate_expiration_on_https_is_accepted() =>
        TestWorkspace.Valid("""
            name: Test
            services:
              - id: backend
                checks:
                  - id: health
                    http: { url: "https://example.com/health" }
                    conditions: ["[STATUS] == 200", "[CERTIFICATE_EXPIRATION] > 720h"]
            """);

    [Fact]
    public void Conditions_on_a_heartbeat_are_rejected() =>
        AssertSingle(
            "vigil.yaml:7:21: check 'worker/nightly': a heartbeat takes no `conditions` (it fails by itself when a ping is late; remove them)",
            """
            name: Test
            services:
              - id: worker
                checks:
                  - id: nightly
                    heartbeat: { period: 1d }
                    conditions: ["[CONNECTED] == true"]
            """);

    [Fact]
    public void Every_kind_accepts_the_placeholders_it_fills() =>
        TestWorkspace.Valid("""
            name: Test
            services:
              - id: all
                checks:
                  - { id: http, http: { url: "https://example.com/" }, conditions: ["[STATUS] == 200", "[BODY].a == 1", "[HEADER].X == y", "[RESPONSE_TIME] < 1s", "[CONNECTED] == true", "[IP] == 1.2.3.4", "[CERTIFICATE_EXPIRATION] > 7d"] }
                  - { id: tcp, tcp: { host: 127.0.0.1, port: 22 }, conditions: ["[CONNECTED] == true", "[RESPONSE_TIME] < 100", "[IP] == 127.0.0.1", "[BODY] == pat(SSH*)"] }
                  - { id: dns, dns: { name: example.com }, conditions: ["[DNS_RCODE] == NOERROR", "[BODY] == pat(*1.2.3.4*)", "[IP] == 1.2.3.4", "[RESPONSE_TIME] < 100", "[CONNECTED] == true"] }
                  - { id: tls, tls: { host: example.com }, conditions: ["[CERTIFICATE_EXPIRATION] > 720h", "[CONNECTED] == true", "[RESPONSE_TIME] < 100", "[IP] == 1.2.3.4"] }
                  - { id: pg, postgres: { connection: "postgres://x" }, conditions: ["[CONNECTED] == true", "[RESPONSE_TIME] < 100", "[VALUE] == 1", "[BODY] == ok"] }
                  - { id: redis, redis: { url: "redis://127.0.0.1:6379" }, conditions: ["[CONNECTED] == true", "[RESPONSE_TIME] < 100", "[BODY] == PONG", "[VALUE] < 5"] }
                  - { id: sql, sql: { driver: sqlite, connection: "Data Source=x.db", query: "SELECT 1" }, conditions: ["[VALUE] == 1", "[RESPONSE_TIME] < 100", "[CONNECTED] == true"] }
                  - { id: cmd, command: { run: "true" }, conditions: ["[STATUS] == 0", "[BODY] == ok", "[RESPONSE_TIME] < 100", "[VALUE] < 3"] }
                  - { id: disk, disk: { path: / }, conditions: ["[VALUE] < 90", "[RESPONSE_TIME] < 100"] }
                  - { id: file, file: { glob: "/tmp/*" }, conditions: ["[VALUE] < 86400", "[RESPONSE_TIME] < 100"] }
            """);
}

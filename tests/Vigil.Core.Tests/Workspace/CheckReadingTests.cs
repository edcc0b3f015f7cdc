using Vigil.Core.Workspace;

namespace Vigil.Core.Tests.Workspace;

// What each check kind reads, its defaults, and which kinds need `conditions` to be able to fail.
public sealed class CheckReadingTests
{
    private static Check OnlyCheck(string checkYaml)
    {
        var indented = string.Join("\n", checkYaml.Split('\n').Select(l => "      " + l));
        var w = TestWorkspace.Valid($"name: Test\nservices:\n  - id: svc\n    checks:\n{indented}\n");
        return Assert.Single(Assert.Single(w.Services).Checks);
    }

    [Fact]
    public void Http_check_defaults()
    {
        var check = OnlyCheck("""
            - id: health
              http: { url: "http://127.0.0.1:8000/health" }
              conditions: ["[STATUS] == 200"]
            """);
        Assert.Equal(CheckKind.Http, check.Kind);
        Assert.Equal(TimeSpan.FromSeconds(60), check.Interval);
        Assert.Equal(TimeSpan.FromSeconds(10), check.Timeout);
        Assert.Null(check.Alert);
        var http = (HttpCheckSpec)check.Spec;
        Assert.Equal("GET", http.Method);
        Assert.True(http.FollowRedirects);
        Assert.True(http.VerifyTls);
        Assert.False(http.FreshConnection);
    }

    [Fact]
    public void Alert_rule_defaults_to_two_failures_one_success_on_down_and_the_service_check_dedup_key()
    {
        var w = TestWorkspace.Valid("""
            name: Test
            severities: [{ id: P1 }]
            services:
              - id: svc
                checks:
                  - { id: port, tcp: { host: 127.0.0.1, port: 22 }, alert: { severity: P1 } }
            """);
        var alert = w.Services[0].Checks[0].Alert!;
        Assert.Equal((2, 1, (TimeSpan?)null, (string?)null), (alert.After, alert.RecoverAfter, alert.For, alert.Runbook));
        Assert.Equal(AlertOn.Down, alert.On);
        Assert.Null(alert.DedupKey);
        Assert.True(w.Services[0].AutoResolve);
    }

    [Fact]
    public void Alert_rule_reads_on_dedup_key_and_the_service_auto_resolve()
    {
        var w = TestWorkspace.Valid("""
            name: Test
            severities: [{ id: P1 }]
            services:
              - id: svc
                auto_resolve: false
                checks:
                  - { id: port, tcp: { host: 127.0.0.1, port: 22 }, alert: { severity: P1, on: degraded, dedup_key: "{service}/db-{severity}" } }
            """);
        var alert = w.Services[0].Checks[0].Alert!;
        Assert.Equal(AlertOn.Degraded, alert.On);
        Assert.Equal("{service}/db-{severity}", alert.DedupKey);
        Assert.False(w.Services[0].AutoResolve);
    }

    [Theory]
    [InlineData("dedup_key: \"{service}/{host}\"", "unknown placeholder")]
    [InlineData("on: broken", "on")]
    [InlineData("for: 0s", "for")]
    public void Alert_rule_errors_point_at_the_bad_key(string entry, string expected)
    {
        var errors = TestWorkspace.Errors($$"""
            name: Test
            severities: [{ id: P1 }]
            services:
              - id: svc
                checks:
                  - id: port
                    tcp: { host: 127.0.0.1, port: 22 }
                    alert: { severity: P1, {{entry}} }
            """);
        var e = Assert.Single(errors);
        Assert.Contains(expected, e.ToString());
        Assert.Contains("vigil.yaml:8:", e.ToString());
    }

    [Fact]
    public void Command_check_needs_no_conditions_because_a_non_zero_exit_fails_it()
    {
        var check = OnlyCheck("""
            - id: ready
              command: { run: "pg_isready -h 127.0.0.1" }
            """);
        Assert.Equal(new CommandCheckSpec("pg_isready -h 127.0.0.1", false, null), check.Spec);
    }

    [Fact]
    public void File_check_with_max_age_or_min_size_needs_no_conditions()
    {
        var check = OnlyCheck("""
            - id: backup
              file: { glob: "/backups/backup_*.dump", max_age: 1d, min_size: 10MB }
            """);
        Assert.Equal(new FileCheckSpec("/backups/backup_*.dump", TimeSpan.FromDays(1), 10L << 20), check.Spec);
    }

    [Fact]
    public void File_check_with_nothing_to_compare_is_rejected()
    {
        Assert.Equal(
            ["vigil.yaml:5:7: check 'svc/backup' has no `conditions` (add `conditions: [\"[VALUE] < 100\"]` or similar)"],
            TestWorkspace.Errors("""
                name: Test
                services:
                  - id: svc
                    checks:
                    - id: backup
                      file: { glob: "/backups/backup_*.dump" }
                """));
    }

    [Fact]
    public void Dns_check_with_expected_answers_needs_no_conditions()
    {
        var check = OnlyCheck("""
            - id: dns
              dns: { name: example.com, type: aaaa, expect: ["2001:db8::1"] }
            """);
        var dns = (DnsCheckSpec)check.Spec;
        Assert.Equal(("example.com", "AAAA"), (dns.Name, dns.RecordType));
        Assert.Equal(["2001:db8::1"], dns.Expect);
    }

    [Fact]
    public void Tls_check_defaults_to_port_443()
    {
        var check = OnlyCheck("""
            - id: cert
              tls: { host: api.example.com }
              conditions: ["[CERTIFICATE_EXPIRATION] > 720h"]
            """);
        Assert.Equal(new TlsCheckSpec("api.example.com", 443, null), check.Spec);
    }

    [Fact]
    public void Heartbeat_grace_defaults_to_an_hour()
    {
        var check = OnlyCheck("""
            - id: nightly
              heartbeat: { schedule: "0 2 * * *" }
            """);
        var hb = (HeartbeatCheckSpec)check.Spec;
        Assert.Equal(("0 2 * * *", (TimeSpan?)null, TimeSpan.FromHours(1), (string?)null), (hb.Schedule, hb.Period, hb.Grace, hb.Key));
    }

    [Fact]
    public void Schedule_with_layers_and_overrides_reads_each_layer_and_the_daily_handoff()
    {
        var w = TestWorkspace.Valid("""
            name: Test
            timezone: Europe/Berlin
            users: [{ id: alice }, { id: bob }, { id: carol }]
            schedules:
              - id: ops
                layers:
                  - { id: primary, rotation: { every: 1w, handoff: "Monday 09:30", start: 2026-11-02, members: [alice, bob] } }
                  - { id: secondary, rotation: { every: 1d, handoff: "18:00", start: 2026-11-02, members: [carol] } }
                overrides:
                  - { user: carol, from: "2026-11-20T09:00:00+01:00", until: "2026-11-21T09:00:00Z" }
            """);
        var s = Assert.Single(w.Schedules);
        Assert.Equal("Europe/Berlin", s.Timezone);
        Assert.Equal(["primary", "secondary"], s.Layers.Select(l => l.Id));
        Assert.Equal((DayOfWeek.Monday, new TimeOnly(9, 30)), (s.Layers[0].Rotation.HandoffDay!.Value, s.Layers[0].Rotation.HandoffTime));
        Assert.Null(s.Layers[1].Rotation.HandoffDay);
        Assert.Equal(new DateTimeOffset(2026, 11, 20, 9, 0, 0, TimeSpan.FromHours(1)), Assert.Single(s.Overrides).From);
    }
}

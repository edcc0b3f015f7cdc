using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Vigil.Storage;

namespace Vigil.Web.Tests.Alerts;

public abstract class InboundTests(Db provider)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string PdKey = "pd-routing-key-0123456789abcdef";
    private const string AmKey = "am-webhook-key-0123456789abcdef";
    private const string LimitedKey = "pd-limited-key-0123456789abcdef";

    private const string Workspace = $$"""
        name: Inbound Test
        severities:
          - { id: P1, respond_within: 15m, page: true }
          - { id: P2, respond_within: 1h, page: true }
          - { id: P3, page: false }
        services:
          - { id: backend, name: Backend API, runbook: runbooks/ops.md }
        integrations:
          - { id: sentry, type: pagerduty, service: backend, key: "{{PdKey}}" }
          - { id: limited, type: pagerduty, service: backend, key: "{{LimitedKey}}", rate_limit: 3/s }
          - { id: prom, type: alertmanager, service: backend, key: "{{AmKey}}" }
          - { id: generated, type: pagerduty, service: backend }
        """;

    private async Task<TestHost> StartAsync(TimeProvider? time = null)
    {
        var dir = Directory.CreateTempSubdirectory("vigil-in-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "runbooks"));
        await File.WriteAllTextAsync(Path.Combine(dir, "runbooks", "ops.md"), "# Ops\n", Ct);
        await File.WriteAllTextAsync(Path.Combine(dir, "vigil.yaml"), Workspace, Ct);
        return await TestHost.StartAsync(db: provider, workspaceDirectory: dir, configure: time is null ? null : o => o with { Time = time });
    }

    private static Task<HttpResponseMessage> Post(TestHost host, string path, string json) =>
        host.Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), Ct);

    private static string Pd(string action, string? dedup = null, string severity = "critical", string summary = "Disk full on web-01", string key = PdKey) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["routing_key"] = key,
            ["event_action"] = action,
            ["dedup_key"] = dedup,
            ["payload"] = action == "trigger" ? new { summary, source = "web-01", severity, custom_details = new { free = "1 GB" } } : null,
        });

    private static async Task<(List<Incident> Incidents, int Events)> StoredAsync(TestHost host)
    {
        await using var db = await host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>().CreateDbContextAsync(Ct);
        return (await db.Incidents.AsNoTracking().Include(i => i.Timeline).OrderBy(i => i.Id).ToListAsync(Ct), await db.InboundEvents.CountAsync(Ct));
    }

    [Fact]
    public async Task PagerDuty_events_trigger_acknowledge_and_resolve_an_incident_with_the_exact_wire_answers()
    {
        await using var host = await StartAsync();

        var r = await Post(host, "/v2/enqueue", Pd("trigger"));
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        var body = await r.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("success", body.GetProperty("status").GetString());
        Assert.Equal("Event processed", body.GetProperty("message").GetString());
        var dedup = body.GetProperty("dedup_key").GetString()!;
        Assert.Equal(32, dedup.Length); // generated when absent

        var (incidents, events) = await StoredAsync(host);
        var incident = Assert.Single(incidents);
        Assert.Equal(1, events);
        Assert.Equal(("Disk full on web-01", "P1", "backend", "triggered"), (incident.Title, incident.Severity, incident.ServiceId, incident.Status));
        Assert.Equal($"sentry/{dedup}", incident.DedupKey);
        Assert.Equal("pagerduty:sentry", Assert.Single(incident.Timeline).Actor);

        // A retried trigger with the same dedup key is the same alert: no new incident, nothing new on the timeline.
        Assert.Equal(HttpStatusCode.Accepted, (await Post(host, "/v2/enqueue", Pd("trigger", dedup))).StatusCode);
        Assert.Single(Assert.Single((await StoredAsync(host)).Incidents).Timeline);

        Assert.Equal(HttpStatusCode.Accepted, (await Post(host, "/v2/enqueue", Pd("acknowledge", dedup))).StatusCode);
        Assert.Equal("acknowledged", Assert.Single((await StoredAsync(host)).Incidents).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await Post(host, "/v2/enqueue", Pd("resolve", dedup))).StatusCode);
        (incidents, events) = await StoredAsync(host);
        Assert.Equal("resolved", Assert.Single(incidents).Status);
        Assert.Equal(4, events);

        // A trigger after resolution opens a new incident; severities map onto the workspace's levels.
        Assert.Equal(HttpStatusCode.Accepted, (await Post(host, "/v2/enqueue", Pd("trigger", dedup, severity: "warning"))).StatusCode);
        incidents = (await StoredAsync(host)).Incidents;
        Assert.Equal(2, incidents.Count);
        Assert.Equal("P3", incidents[1].Severity);

        // The routing key is a credential: not kept with the stored event.
        await using var db = await host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>().CreateDbContextAsync(Ct);
        Assert.All(await db.InboundEvents.Select(e => e.Payload).ToListAsync(Ct), p => Assert.DoesNotContain(PdKey, p));
    }

    [Theory]
    [InlineData("""{"routing_key":"pd-routing-key-0123456789abcdef","event_action":"trigger","payload":{"source":"h","severity":"info"}}""", "'payload.summary' is missing or blank")]
    [InlineData("""{"routing_key":"pd-routing-key-0123456789abcdef","event_action":"bounce"}""", "'event_action' must be trigger, acknowledge or resolve, not 'bounce'")]
    [InlineData("""{"routing_key":"not-a-key-of-this-vigil","event_action":"resolve","dedup_key":"x"}""", "'routing_key' is not the key of any PagerDuty integration of this Vigil")]
    [InlineData("""{"routing_key":"am-webhook-key-0123456789abcdef","event_action":"resolve","dedup_key":"x"}""", "'routing_key' is not the key of any PagerDuty integration of this Vigil")]
    [InlineData("""{"routing_key": """, "the body is not valid JSON")]
    public async Task An_invalid_PagerDuty_event_is_400_invalid_event_and_nothing_is_stored(string json, string error)
    {
        await using var host = await StartAsync();
        var r = await Post(host, "/v2/enqueue", json);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var body = await r.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal("invalid event", body.GetProperty("status").GetString());
        Assert.Equal("Event object is invalid", body.GetProperty("message").GetString());
        Assert.Contains(body.GetProperty("errors").EnumerateArray(), e => e.GetString()!.StartsWith(error, StringComparison.Ordinal));
        var (incidents, events) = await StoredAsync(host);
        Assert.Empty(incidents);
        Assert.Equal(0, events);
    }

    [Fact]
    public async Task An_event_after_the_writer_stopped_gets_a_503_at_once_and_nothing_is_stored()
    {
        await using var host = await StartAsync();
        Assert.Equal(HttpStatusCode.Accepted, (await Post(host, "/v2/enqueue", Pd("trigger", "before-stop"))).StatusCode);
        // What a shutdown does first (hosted services stop before the server stops taking requests).
        await host.App.Services.GetRequiredService<Vigil.Web.Alerts.InboundWriter>().StopAsync(Ct);
        using var r = await Post(host, "/v2/enqueue", Pd("trigger", "after-stop")).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        var (incidents, events) = await StoredAsync(host);
        Assert.Equal(["sentry/before-stop"], incidents.Select(i => i.DedupKey));
        Assert.Equal(1, events);
    }

    [Fact]
    public async Task Oversize_bodies_are_refused_and_the_rate_limit_answers_429()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 3, 0, 0, TimeSpan.Zero));
        await using var host = await StartAsync(clock);
        var big = Pd("trigger", summary: "x", key: PdKey).Replace("\"source\":", $"\"padding\":\"{new string('p', 600 * 1024)}\",\"source\":");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await Post(host, "/v2/enqueue", big)).StatusCode);

        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Accepted, (await Post(host, "/v2/enqueue", Pd("trigger", $"d{i}", key: LimitedKey))).StatusCode);
        var limited = await Post(host, "/v2/enqueue", Pd("trigger", "d3", key: LimitedKey));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter is not null);
        Assert.Equal(3, (await StoredAsync(host)).Events);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Accepted, (await Post(host, "/v2/enqueue", Pd("trigger", "d3", key: LimitedKey))).StatusCode);
        // An integration without a key in the workspace got a generated one; other integrations are not limited.
        var generated = host.App.Services.GetRequiredService<Vigil.Web.Alerts.IntegrationRegistry>().KeyOf("generated")!;
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.Accepted, (await Post(host, "/v2/enqueue", Pd("trigger", $"g{i}", key: generated))).StatusCode);
    }

    [Fact]
    public async Task Admins_see_each_integration_with_its_key_and_url_and_nobody_else_does()
    {
        await using var host = await StartAsync();
        var list = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/integrations", Ct);
        var items = list.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("id").GetString()!);
        Assert.Equal(PdKey, items["sentry"].GetProperty("key").GetString());
        Assert.EndsWith("/v2/enqueue", items["sentry"].GetProperty("url").GetString());
        Assert.EndsWith($"/api/v1/integrations/{AmKey}/alertmanager", items["prom"].GetProperty("url").GetString());
        var generated = items["generated"].GetProperty("key").GetString()!;
        Assert.True(generated.Length >= 32);
        Assert.Equal(HttpStatusCode.Accepted, (await Post(host, "/v2/enqueue", Pd("trigger", "g", key: generated))).StatusCode);
        var (_, viewer) = await host.CreateTokenAsync("v", "responder");
        Assert.Equal(HttpStatusCode.Forbidden, (await host.ClientWith(viewer).GetAsync("/api/v1/integrations", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.GetAsync("/api/v1/integrations", Ct)).StatusCode);
    }

    private static string Am(string groupKey, params (string Status, string Fingerprint, string Name, string Severity)[] alerts) =>
        JsonSerializer.Serialize(new
        {
            version = "4",
            groupKey,
            status = alerts.Any(a => a.Status == "firing") ? "firing" : "resolved",
            receiver = "vigil",
            externalURL = "http://127.0.0.1:9093",
            truncatedAlerts = 0,
            alerts = alerts.Select(a => new
            {
                status = a.Status,
                fingerprint = a.Fingerprint,
                labels = new Dictionary<string, string> { ["alertname"] = a.Name, ["severity"] = a.Severity, ["instance"] = a.Fingerprint },
                annotations = new Dictionary<string, string> { ["summary"] = $"{a.Name} on {a.Fingerprint}", ["description"] = "5xx above 5%", ["runbook_url"] = "https://wiki.example.com/backend#errors" },
                startsAt = "2026-11-23T02:00:00Z",
                endsAt = a.Status == "firing" ? "0001-01-01T00:00:00Z" : "2026-11-23T02:30:00Z",
                generatorURL = "http://127.0.0.1:9090/graph",
            }),
        });

    [Fact]
    public async Task Alertmanager_groups_are_idempotent_by_fingerprint_and_carry_firing_and_resolved_alerts_at_once()
    {
        await using var host = await StartAsync();
        var url = $"/api/v1/integrations/{AmKey}/alertmanager";
        var group = Am("{}:{alertname=\"HighErrorRate\"}", ("firing", "f1", "HighErrorRate", "critical"), ("firing", "f2", "HighErrorRate", "critical"));
        Assert.Equal(HttpStatusCode.OK, (await Post(host, url, group)).StatusCode);
        var incident = Assert.Single((await StoredAsync(host)).Incidents);
        Assert.Equal(("HighErrorRate on f1", "5xx above 5%", "P1"), (incident.Title, incident.Summary, incident.Severity));
        Assert.Equal("https://wiki.example.com/backend#errors", incident.RunbookPath);
        Assert.Equal(2, incident.Timeline.Count); // triggered by f1, f2 joined

        // Alertmanager resends the group on every group_interval: nothing changes.
        Assert.Equal(HttpStatusCode.OK, (await Post(host, url, group)).StatusCode);
        Assert.Equal(2, Assert.Single((await StoredAsync(host)).Incidents).Timeline.Count);

        // One resolved, one still firing, in the same notification: the incident stays open …
        Assert.Equal(HttpStatusCode.OK, (await Post(host, url, Am("{}:{alertname=\"HighErrorRate\"}", ("resolved", "f1", "HighErrorRate", "critical"), ("firing", "f2", "HighErrorRate", "critical")))).StatusCode);
        incident = Assert.Single((await StoredAsync(host)).Incidents);
        Assert.Equal("triggered", incident.Status);
        // … until the last alert resolves.
        Assert.Equal(HttpStatusCode.OK, (await Post(host, url, Am("{}:{alertname=\"HighErrorRate\"}", ("resolved", "f1", "HighErrorRate", "critical"), ("resolved", "f2", "HighErrorRate", "critical")))).StatusCode);
        incident = Assert.Single((await StoredAsync(host)).Incidents);
        Assert.Equal("resolved", incident.Status);

        var api = await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{incident.Id}", Ct);
        Assert.Equal("https://wiki.example.com/backend#errors", api.GetProperty("runbook").GetProperty("url").GetString());

        Assert.Equal(HttpStatusCode.NotFound, (await Post(host, $"/api/v1/integrations/{PdKey}/alertmanager", group)).StatusCode);
        var bad = await Post(host, url, """{"version":"4","alerts":[{"status":"firing"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("fingerprint", await bad.Content.ReadAsStringAsync(Ct));
        Assert.Equal(4, (await StoredAsync(host)).Events);
    }
}

public sealed class SqliteInboundTests() : InboundTests(Db.Sqlite);

public sealed class PostgresInboundTests() : InboundTests(Db.Postgres);

public sealed class InboundFastPathTests
{
    [Theory]
    [InlineData("/api/v1/integrations/am-key/alertmanager", "am-key")]
    [InlineData("/API/v1/Integrations/am-key/Alertmanager", "am-key")]
    [InlineData("/api/v1/integrations/a/b/alertmanager", null)]
    [InlineData("/api/v1/integrations//alertmanager", null)]
    [InlineData("/api/v1/integrations/alertmanager", null)]
    [InlineData("/api/v1/integrations/am-key/alertmanager/x", null)]
    [InlineData("/api/v1/integrationsX/am-key/alertmanager", null)]
    [InlineData("/api/v1/integrations", null)]
    public void The_fast_path_takes_the_key_from_exactly_the_alertmanager_route(string path, string? key) =>
        Assert.Equal(key, Vigil.Web.Alerts.InboundApi.AlertmanagerKey(new Microsoft.AspNetCore.Http.PathString(path)));
}

public sealed class JsonTextTests
{
    [Fact]
    public void Labels_are_written_exactly_as_the_serializer_wrote_them_and_the_buffer_is_reused_cleanly()
    {
        var labels = new Dictionary<string, string>
        {
            ["alertname"] = "HighErrorRate", ["summary"] = "5xx > 5% <now> & \"quoted\" 'single'", ["zone"] = "Zürich — 東京",
            ["path"] = "C:\\temp\n", ["emoji"] = "🔥", ["empty"] = "",
        };
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(labels, Vigil.Web.Hosting.Json.Options), Vigil.Web.Hosting.JsonText.Object(labels));
        // A second, shorter document on the same thread leaves nothing of the first behind.
        Assert.Equal("""{"a":"b"}""", Vigil.Web.Hosting.JsonText.Object(new Dictionary<string, string> { ["a"] = "b" }));
        // A document larger than the kept buffer is written whole, and the next one still works.
        var big = new Dictionary<string, string> { ["x"] = new string('y', 200_000) };
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(big, Vigil.Web.Hosting.Json.Options), Vigil.Web.Hosting.JsonText.Object(big));
        Assert.Equal("{}", Vigil.Web.Hosting.JsonText.Object(new Dictionary<string, string>()));
    }
}

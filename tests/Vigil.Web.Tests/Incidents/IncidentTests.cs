using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Vigil.Core.Checks;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Checks;
using Vigil.Web.Incidents;
using CheckResult = Vigil.Core.Checks.CheckResult;

namespace Vigil.Web.Tests.Incidents;

public abstract class IncidentTests(Db provider)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Workspace = """
        name: Incident Test
        severities:
          - { id: P1, name: Critical, respond_within: 15m, page: true }
          - { id: P3, name: Medium, respond_within: 4h, page: false }
        users:
          - { id: alice, name: Alice, role: responder }
        services:
          - id: backend
            name: Backend API
            runbook: runbooks/ops.md
            checks:
              - id: health
                http: { url: "http://127.0.0.1:9/health" }
                conditions: ["[STATUS] == 200"]
                alert: { severity: P1, after: 2, recover_after: 2, runbook: "#service-down", dedup_key: "{service}/availability" }
              - id: ready
                http: { url: "http://127.0.0.1:9/ready" }
                conditions: ["[STATUS] == 200"]
                alert: { severity: P1, after: 1, dedup_key: "{service}/availability" }
          - id: worker
            name: Worker
            auto_resolve: false
            checks:
              - id: queue
                http: { url: "http://127.0.0.1:9/queue" }
                conditions: ["[STATUS] == 200"]
                warn: ["[RESPONSE_TIME] < 500"]
                alert: { severity: P3, after: 1, on: degraded }
          - id: batch
            name: Batch
            checks:
              - id: nightly
                http: { url: "http://127.0.0.1:9/nightly" }
                conditions: ["[STATUS] == 200"]
                alert: { severity: P3, after: 1 }
        maintenance:
          windows:
            - { id: always, services: [batch], cron: "* * * * *", duration: 1h }
        """;

    private static CheckResult Result(string service, string check, CheckStatus status, DateTimeOffset at) =>
        new(service, check, CheckKind.Http, at, status, 12, status == CheckStatus.Up ? "ok" : "[STATUS] (503) == 200", null, at);

    private async Task<TestHost> StartAsync(string? workspaceDirectory = null, string? database = null, TimeProvider? time = null)
    {
        if (workspaceDirectory is null)
        {
            workspaceDirectory = Directory.CreateTempSubdirectory("vigil-inc-").FullName;
            Directory.CreateDirectory(Path.Combine(workspaceDirectory, "runbooks"));
            await File.WriteAllTextAsync(Path.Combine(workspaceDirectory, "runbooks", "ops.md"), "# Ops\n\n## Service Down\n\nRestart it.\n", Ct);
            await File.WriteAllTextAsync(Path.Combine(workspaceDirectory, "vigil.yaml"), Workspace, Ct);
        }
        // No real probes: the checks point at a closed port, and only the results these tests publish may raise alerts.
        return await TestHost.StartAsync(db: provider, workspaceDirectory: workspaceDirectory, database: database,
            configure: o => o with { Time = time ?? o.Time, ConfigureServices = s => s.RemoveAll<ICheckProbe>() });
    }

    private static async Task PublishAsync(TestHost host, params CheckResult[] results)
    {
        var sink = host.App.Services.GetRequiredService<ICheckResultSink>();
        var writer = host.App.Services.GetRequiredService<CheckResultWriter>();
        var target = writer.Written + results.Length;
        foreach (var r in results) await sink.PublishAsync(r, Ct);
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(writer.Written >= target)), "results stored");
    }

    private static async Task<List<Incident>> IncidentsAsync(TestHost host)
    {
        await using var db = await host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>().CreateDbContextAsync(Ct);
        return await db.Incidents.AsNoTracking().Include(i => i.Timeline).OrderBy(i => i.Id).ToListAsync(Ct);
    }

    [Fact]
    public async Task A_check_alert_opens_an_incident_after_n_failures_others_join_it_and_recovery_resolves_it()
    {
        await using var host = await StartAsync();
        var t = DateTimeOffset.UtcNow.AddMinutes(-10);

        await PublishAsync(host, Result("backend", "health", CheckStatus.Down, t));
        Assert.Empty(await IncidentsAsync(host)); // after: 2

        await PublishAsync(host, Result("backend", "health", CheckStatus.Down, t.AddSeconds(30)));
        var incident = Assert.Single(await IncidentsAsync(host));
        Assert.Equal(("triggered", "P1", "backend", "backend/availability"), (incident.Status, incident.Severity, incident.ServiceId, incident.DedupKey));
        Assert.Equal("Backend API: health is down", incident.Title);
        Assert.Equal(("runbooks/ops.md", "service-down"), (incident.RunbookPath, incident.RunbookSection));
        Assert.Equal(TimeSpan.FromMinutes(15), incident.AckDueAt - incident.OpenedAt);
        var triggered = Assert.Single(incident.Timeline);
        Assert.Equal(("triggered", "check:backend/health"), (triggered.Kind, triggered.Actor));
        Assert.Contains("[STATUS] (503) == 200", triggered.Text);

        // Another check with the same dedup key joins the open incident instead of opening a second one.
        await PublishAsync(host, Result("backend", "ready", CheckStatus.Down, t.AddSeconds(31)));
        incident = Assert.Single(await IncidentsAsync(host));
        Assert.Equal(2, incident.Timeline.Count);
        Assert.Contains(incident.Timeline, e => e.Kind == "alert" && e.Actor == "check:backend/ready");

        // Still failing: no new events. One success is not enough for health (recover_after: 2) …
        await PublishAsync(host, Result("backend", "health", CheckStatus.Down, t.AddSeconds(60)), Result("backend", "health", CheckStatus.Up, t.AddSeconds(90)));
        Assert.Equal(2, Assert.Single(await IncidentsAsync(host)).Timeline.Count);
        // … and once health recovers, ready still fires, so the incident stays open.
        await PublishAsync(host, Result("backend", "health", CheckStatus.Up, t.AddSeconds(120)));
        incident = Assert.Single(await IncidentsAsync(host));
        Assert.Equal("triggered", incident.Status);
        Assert.Contains(incident.Timeline, e => e.Kind == "alert" && e.Text.Contains("recovered"));
        // The last alert recovering resolves it.
        await PublishAsync(host, Result("backend", "ready", CheckStatus.Up, t.AddSeconds(121)));
        incident = Assert.Single(await IncidentsAsync(host));
        Assert.Equal("resolved", incident.Status);
        Assert.NotNull(incident.ResolvedAt);
        Assert.Equal(("resolved", "vigil"), (incident.Timeline.OrderBy(e => e.Id).Last().Kind, incident.Timeline.OrderBy(e => e.Id).Last().Actor));

        // A trigger after resolution opens a new incident.
        await PublishAsync(host, Result("backend", "ready", CheckStatus.Down, t.AddSeconds(150)));
        var all = await IncidentsAsync(host);
        Assert.Equal(2, all.Count);
        Assert.Equal("triggered", all[1].Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task One_batch_of_signals_is_applied_in_order_with_every_automatic_change_audited(bool preparedInserts)
    {
        await using var host = await StartAsync();
        var store = host.App.Services.GetRequiredService<IncidentStore>();
        var now = DateTimeOffset.UtcNow;
        var firing = new FiringAlert("P1", "disk full", null, null, new Opening("Disk full", null, null), new Dictionary<string, string> { ["service"] = "backend" });
        AlertSignal Fire(string fp) => new(SignalKind.Fire, "pagerduty", "pd", fp, "pd/disk", "backend", "pagerduty:pd", $"Triggered: {fp}", now, firing);
        AlertSignal Resolve(string fp) => new(SignalKind.Resolve, "pagerduty", "pd", fp, "pd/disk", "backend", "pagerduty:pd", null, now);
        var ack = new AlertSignal(SignalKind.Acknowledge, "pagerduty", "pd", "x", "pd/disk", "backend", "pagerduty:pd", null, now);

        async Task ApplyAsync(params AlertSignal[] signals)
        {
            await using var db = await store.ContextAsync(Ct);
            await using var tx = await db.Database.BeginTransactionAsync(Ct);
            // The writers' way on SQLite (added rows by prepared statements, the rest by EF), or EF alone (as on PostgreSQL).
            await using var rows = preparedInserts && db.Database.IsSqlite() ? new IncidentRows(db.Database.GetDbConnection()) : null;
            await store.ApplyAsync(db, signals, null, rows, Ct);
            await tx.CommitAsync(Ct);
        }

        // x opens, y joins, x recovers (y still fires), y recovers (resolved), x fires again (a new incident), the sender acknowledges it.
        await ApplyAsync(Fire("x"), Fire("y"), Resolve("x"), Fire("x"), Resolve("x"), Resolve("y"), Fire("x"), ack);
        var incidents = await IncidentsAsync(host);
        Assert.Equal(2, incidents.Count);
        Assert.Equal("resolved", incidents[0].Status);
        Assert.Equal(["triggered", "alert", "alert", "alert", "alert", "alert", "resolved"], incidents[0].Timeline.OrderBy(e => e.Id).Select(e => e.Kind));
        Assert.Equal("acknowledged", incidents[1].Status);
        Assert.Equal(["triggered", "acknowledged"], incidents[1].Timeline.OrderBy(e => e.Id).Select(e => e.Kind));

        // The next batch: y fires again and joins the open incident; a repeat of x changes nothing.
        await ApplyAsync(Fire("y"), Fire("x"));
        incidents = await IncidentsAsync(host);
        Assert.Equal(2, incidents.Count);
        Assert.Equal(3, incidents[1].Timeline.Count);
        await using (var db = await store.ContextAsync(Ct))
        {
            Assert.Equal(2, await db.Alerts.CountAsync(a => a.IncidentId == incidents[1].Id && a.Status == "firing", Ct));
            var audit = await db.AuditEvents.AsNoTracking().Where(e => e.Actor == "pagerduty:pd").OrderBy(e => e.Id).Select(e => new { e.Action, e.Target }).ToListAsync(Ct);
            Assert.Equal(
                [("incident.open", $"incident:{incidents[0].Id}"), ("incident.resolve", $"incident:{incidents[0].Id}"), ("incident.open", $"incident:{incidents[1].Id}"), ("incident.acknowledge", $"incident:{incidents[1].Id}")],
                audit.Select(e => (e.Action, e.Target)));
        }

        // Both recover (the incident resolves) and x fires again, in one batch: the new incident takes the dedup key the
        // resolved one gives up, so the resolve must be written first.
        await ApplyAsync(Resolve("x"), Resolve("y"), Fire("x"));
        incidents = await IncidentsAsync(host);
        Assert.Equal(["resolved", "resolved", "triggered"], incidents.Select(i => i.Status));
        Assert.Equal(["triggered"], incidents[2].Timeline.Select(e => e.Kind));
        await using (var db = await store.ContextAsync(Ct))
        {
            Assert.Equal(incidents[2].Id, (await db.Alerts.SingleAsync(a => a.Fingerprint == "x", Ct)).IncidentId);
            Assert.Equal(1, (await db.Incidents.SingleAsync(i => i.Id == incidents[1].Id, Ct)).Version);
        }
    }

    [Fact]
    public async Task On_degraded_fires_on_warnings_and_auto_resolve_false_leaves_the_incident_open()
    {
        await using var host = await StartAsync();
        var t = DateTimeOffset.UtcNow.AddMinutes(-5);
        await PublishAsync(host, Result("worker", "queue", CheckStatus.Degraded, t));
        var incident = Assert.Single(await IncidentsAsync(host));
        Assert.Equal(("P3", "worker/queue"), (incident.Severity, incident.DedupKey));
        Assert.Null(incident.RunbookPath);

        await PublishAsync(host, Result("worker", "queue", CheckStatus.Up, t.AddSeconds(30)));
        incident = Assert.Single(await IncidentsAsync(host));
        Assert.Equal("triggered", incident.Status);
        Assert.Contains(incident.Timeline, e => e.Text.Contains("recovered"));
    }

    [Fact]
    public async Task A_restart_neither_refires_nor_forgets_an_alert()
    {
        var (database, drop) = provider == Db.Postgres ? await TestHost.CreatePostgresDatabaseAsync() : (null, () => ValueTask.CompletedTask);
        try
        {
            string workspace;
            var t = DateTimeOffset.UtcNow.AddMinutes(-10);
            await using (var first = await StartAsync(database: database))
            {
                workspace = first.WorkspaceDirectory;
                // One failure before the restart (after: 2) …
                await PublishAsync(first, Result("backend", "health", CheckStatus.Down, t));
            }
            await using (var second = await StartAsync(workspace, database))
            {
                // … and the second after it fires: the count survived.
                await PublishAsync(second, Result("backend", "health", CheckStatus.Down, t.AddSeconds(30)));
                Assert.Single(await IncidentsAsync(second));
            }
            await using (var third = await StartAsync(workspace, database))
            {
                // Still failing after another restart: the alert is remembered as firing, so nothing fires again.
                await PublishAsync(third, Result("backend", "health", CheckStatus.Down, t.AddSeconds(60)), Result("backend", "health", CheckStatus.Down, t.AddSeconds(90)));
                var incident = Assert.Single(await IncidentsAsync(third));
                Assert.Single(incident.Timeline);
                // And it recovers (recover_after: 2) into a resolved incident.
                await PublishAsync(third, Result("backend", "health", CheckStatus.Up, t.AddSeconds(120)), Result("backend", "health", CheckStatus.Up, t.AddSeconds(150)));
                Assert.Equal("resolved", Assert.Single(await IncidentsAsync(third)).Status);
            }
        }
        finally
        {
            await drop();
        }
    }

    [Fact]
    public async Task Responders_move_an_incident_through_its_lifecycle_and_every_change_is_on_the_timeline_and_audited()
    {
        await using var host = await StartAsync();
        var (_, responderToken) = await host.CreateTokenAsync("alice", "responder");
        var (_, viewerToken) = await host.CreateTokenAsync("watcher", "viewer");
        var responder = host.ClientWith(responderToken);
        var viewer = host.ClientWith(viewerToken);

        // Viewers read but cannot open or change incidents.
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/v1/incidents", new { title = "x", severity = "P1" }, Ct)).StatusCode);

        var bad = await responder.PostAsJsonAsync("/api/v1/incidents", new { title = "", severity = "P9", service = "nope" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.Contains("P1, P3", errors.GetProperty("severity").GetString());
        Assert.True(errors.TryGetProperty("title", out _));
        Assert.True(errors.TryGetProperty("service", out _));

        var created = await responder.PostAsJsonAsync("/api/v1/incidents", new { title = "Checkout is slow", severity = "P3", service = "backend", summary = "p95 at 4 s", dedup_key = "checkout-slow", runbook = "#service-down" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var incident = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        var id = incident.GetProperty("id").GetInt64();
        Assert.Equal($"/api/v1/incidents/{id}", created.Headers.Location!.OriginalString);
        Assert.Equal("triggered", incident.GetProperty("status").GetString());
        Assert.Equal("runbooks/ops.md", incident.GetProperty("runbook").GetProperty("path").GetString());
        Assert.Equal("service-down", incident.GetProperty("runbook").GetProperty("section").GetString());
        Assert.Equal(JsonValueKind.Null, incident.GetProperty("acknowledged_at").ValueKind);

        // The same dedup key cannot be opened twice.
        Assert.Equal(HttpStatusCode.Conflict, (await responder.PostAsJsonAsync("/api/v1/incidents", new { title = "again", severity = "P3", dedup_key = "checkout-slow" }, Ct)).StatusCode);

        async Task<JsonElement> Post(string path, object? body = null)
        {
            var r = await responder.PostAsJsonAsync($"/api/v1/incidents/{id}/{path}", body ?? new { }, Ct);
            Assert.True(r.IsSuccessStatusCode, $"{path}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync(Ct)}");
            return await r.Content.ReadFromJsonAsync<JsonElement>(Ct);
        }

        var acked = await Post("acknowledge", new { text = "looking at the DB" });
        Assert.Equal("acknowledged", acked.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, acked.GetProperty("acknowledged_at").ValueKind);
        Assert.Equal("acknowledged", (await Post("acknowledge")).GetProperty("status").GetString()); // a retry changes nothing
        Assert.Equal("triggered", (await Post("unacknowledge")).GetProperty("status").GetString());
        await Post("notes", new { text = "Slow query found: orders without index" });
        var patched = await responder.PatchAsJsonAsync($"/api/v1/incidents/{id}", new { severity = "P1", assignee = "alice", title = "Checkout slow: missing index" }, Ct);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var p = await patched.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(("P1", "alice"), (p.GetProperty("severity").GetString(), p.GetProperty("assignee").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, (await responder.PatchAsJsonAsync($"/api/v1/incidents/{id}", new { severity = "P7" }, Ct)).StatusCode);
        Assert.Equal("resolved", (await Post("resolve")).GetProperty("status").GetString());
        var refused = await responder.PostAsJsonAsync($"/api/v1/incidents/{id}/acknowledge", new { }, Ct);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("reopen", (await refused.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("detail").GetString());
        var reopened = await Post("reopen");
        Assert.Equal(("triggered", JsonValueKind.Null), (reopened.GetProperty("status").GetString(), reopened.GetProperty("resolved_at").ValueKind));

        var timeline = await viewer.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{id}/timeline", Ct);
        var kinds = timeline.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("kind").GetString()).ToList();
        Assert.Equal(["triggered", "acknowledged", "note", "triggered", "note", "title", "severity", "assignee", "resolved", "triggered"], kinds);
        Assert.All(timeline.GetProperty("items").EnumerateArray().Skip(1), e => Assert.Equal("alice", e.GetProperty("actor").GetString()));
        var page = await viewer.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{id}/timeline?limit=4", Ct);
        Assert.Equal(4, page.GetProperty("items").GetArrayLength());
        var rest = await viewer.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{id}/timeline?limit=50&cursor={page.GetProperty("next_cursor").GetString()}", Ct);
        Assert.Equal(6, rest.GetProperty("items").GetArrayLength());

        var audit = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?action=incident.&limit=100", Ct);
        var actions = audit.GetProperty("items").EnumerateArray().Select(e => (e.GetProperty("action").GetString(), e.GetProperty("outcome").GetString())).ToList();
        Assert.Contains(("incident.create", "ok"), actions);
        Assert.Contains(("incident.create", "failed"), actions);
        Assert.Contains(("incident.acknowledge", "failed"), actions);
        Assert.Contains(("incident.update", "ok"), actions);
        Assert.Contains(("incident.note", "ok"), actions);
        Assert.Contains(("incident.reopen", "ok"), actions);
    }

    [Fact]
    public async Task A_missed_response_time_is_recorded_on_the_timeline_once_and_not_for_acknowledged_incidents()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(time: clock);
        async Task<long> Open(string title)
        {
            var r = await host.Admin.PostAsJsonAsync("/api/v1/incidents", new { title, severity = "P1" }, Ct);
            var body = await r.Content.ReadFromJsonAsync<JsonElement>(Ct);
            Assert.Equal(clock.GetUtcNow().AddMinutes(15), body.GetProperty("ack_due_at").GetDateTimeOffset());
            return body.GetProperty("id").GetInt64();
        }
        var ignored = await Open("nobody looks");
        var handled = await Open("someone looks");
        Assert.Equal(HttpStatusCode.OK, (await host.Admin.PostAsJsonAsync($"/api/v1/incidents/{handled}/acknowledge", new { }, Ct)).StatusCode);

        var deadlines = host.App.Services.GetRequiredService<Vigil.Web.Incidents.ResponseDeadlines>();
        clock.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(0, await deadlines.SweepAsync(Ct));
        clock.Advance(TimeSpan.FromMinutes(2));
        // The background sweep may get there first (the clock moved its delay too): either way, exactly one entry.
        await deadlines.SweepAsync(Ct);
        Assert.Equal(0, await deadlines.SweepAsync(Ct));

        var incidents = await IncidentsAsync(host);
        var missed = Assert.Single(incidents.Single(i => i.Id == ignored).Timeline, e => e.Kind == "response_missed");
        Assert.Contains("15m", missed.Text);
        Assert.DoesNotContain(incidents.Single(i => i.Id == handled).Timeline, e => e.Kind == "response_missed");
        var dto = await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{ignored}", Ct);
        Assert.True(dto.GetProperty("response_missed").GetBoolean());
    }

    [Fact]
    public async Task Silences_and_maintenance_windows_keep_the_record_but_mark_incidents_suppressed_and_services_in_maintenance()
    {
        await using var host = await StartAsync();
        var (_, responderToken) = await host.CreateTokenAsync("alice", "responder");
        var responder = host.ClientWith(responderToken);
        var t = DateTimeOffset.UtcNow.AddMinutes(-1);

        var silence = await responder.PostAsJsonAsync("/api/v1/silences", new
        {
            matchers = new object[] { new { name = "service", value = "backend" }, new { name = "check", value = "health|ready", is_regex = true } },
            duration = "2h",
            comment = "database migration",
        }, Ct);
        Assert.Equal(HttpStatusCode.Created, silence.StatusCode);
        var silenceId = (await silence.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();

        // Silenced: the incident is recorded and marked; a window does the same for its service.
        await PublishAsync(host, Result("backend", "ready", CheckStatus.Down, t), Result("batch", "nightly", CheckStatus.Down, t), Result("worker", "queue", CheckStatus.Down, t));
        var incidents = await IncidentsAsync(host);
        Assert.Equal(3, incidents.Count);
        var backend = incidents.Single(i => i.ServiceId == "backend");
        Assert.True(backend.Suppressed);
        Assert.Contains(backend.Timeline, e => e.Kind == "suppressed" && e.Text.Contains($"silence {silenceId}"));
        var batch = incidents.Single(i => i.ServiceId == "batch");
        Assert.True(batch.Suppressed);
        Assert.Contains(batch.Timeline, e => e.Kind == "suppressed" && e.Text.Contains("maintenance window always"));
        Assert.False(incidents.Single(i => i.ServiceId == "worker").Suppressed);
        var dto = await responder.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{backend.Id}", Ct);
        Assert.True(dto.GetProperty("suppressed").GetBoolean());

        // A window, or a silence of the whole service, puts the service in maintenance; a silence of some checks does not.
        async Task<string?> Status(string service) => (await responder.GetFromJsonAsync<JsonElement>($"/api/v1/services/{service}", Ct)).GetProperty("status").GetString();
        Assert.Equal("maintenance", await Status("batch"));
        Assert.NotEqual("maintenance", await Status("backend"));
        var whole = await responder.PostAsJsonAsync("/api/v1/silences", new { matchers = new[] { new { name = "service", value = "worker" } }, ends_at = DateTimeOffset.UtcNow.AddHours(1) }, Ct);
        Assert.Equal(HttpStatusCode.Created, whole.StatusCode);
        Assert.Equal("maintenance", await Status("worker"));

        // Ending a silence early: it is expired and the service is back to its checks' status.
        var wholeId = (await whole.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.NoContent, (await responder.DeleteAsync($"/api/v1/silences/{wholeId}", Ct)).StatusCode);
        Assert.NotEqual("maintenance", await Status("worker"));
        var expired = await responder.GetFromJsonAsync<JsonElement>("/api/v1/silences?state=expired", Ct);
        Assert.Equal(wholeId, Assert.Single(expired.GetProperty("items").EnumerateArray()).GetProperty("id").GetInt64());
        var active = await responder.GetFromJsonAsync<JsonElement>("/api/v1/silences?state=active", Ct);
        var only = Assert.Single(active.GetProperty("items").EnumerateArray());
        Assert.Equal("database migration", only.GetProperty("comment").GetString());
        Assert.Equal("alice", only.GetProperty("created_by").GetString());
        Assert.True(only.GetProperty("matchers")[1].GetProperty("is_regex").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, (await responder.DeleteAsync("/api/v1/silences/999999", Ct)).StatusCode);
    }

    [Theory]
    [InlineData("""{"duration": "1h"}""", "matchers")]
    [InlineData("""{"matchers": [{"name": "check", "value": "(", "is_regex": true}], "duration": "1h"}""", "matchers")]
    [InlineData("""{"matchers": [{"name": "service", "value": "backend"}]}""", "ends_at")]
    [InlineData("""{"matchers": [{"name": "service", "value": "backend"}], "duration": "1h", "ends_at": "2099-01-01T00:00:00Z"}""", "duration")]
    [InlineData("""{"matchers": [{"name": "service", "value": "backend"}], "duration": "soon"}""", "duration")]
    [InlineData("""{"matchers": [{"name": "service", "value": "backend"}], "ends_at": "2020-01-01T00:00:00Z"}""", "ends_at")]
    public async Task A_bad_silence_is_refused_with_the_field_and_stores_nothing(string body, string field)
    {
        await using var host = await StartAsync();
        var r = await host.Admin.PostAsync("/api/v1/silences", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.True((await r.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty(field, out _));
        Assert.Equal(0, (await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/silences", Ct)).GetProperty("total").GetInt32());
        var (_, viewer) = await host.CreateTokenAsync("v", "viewer");
        Assert.Equal(HttpStatusCode.Forbidden, (await host.ClientWith(viewer).PostAsync("/api/v1/silences", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct)).StatusCode);
    }

    [Fact]
    public async Task Incidents_list_filters_by_status_service_and_severity_and_pages_newest_first()
    {
        await using var host = await StartAsync();
        var admin = host.Admin;
        var ids = new List<long>();
        foreach (var (title, severity, service) in new[] { ("a", "P1", "backend"), ("b", "P3", "worker"), ("c", "P3", "backend") })
        {
            var r = await admin.PostAsJsonAsync("/api/v1/incidents", new { title, severity, service }, Ct);
            ids.Add((await r.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64());
        }
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/api/v1/incidents/{ids[0]}/resolve", new { }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync($"/api/v1/incidents/{ids[1]}/acknowledge", new { }, Ct)).StatusCode);

        async Task<List<string?>> Titles(string query) =>
            [.. (await admin.GetFromJsonAsync<JsonElement>($"/api/v1/incidents{query}", Ct)).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("title").GetString())];

        Assert.Equal(["c", "b", "a"], await Titles(""));
        Assert.Equal(["c", "b"], await Titles("?status=open"));
        Assert.Equal(["b"], await Titles("?status=acknowledged"));
        Assert.Equal(["a"], await Titles("?status=resolved"));
        Assert.Equal(["c", "a"], await Titles("?service=backend"));
        Assert.Equal(["c", "b"], await Titles("?severity=P3"));
        var first = await admin.GetFromJsonAsync<JsonElement>("/api/v1/incidents?limit=2", Ct);
        Assert.Equal(3, first.GetProperty("total").GetInt32());
        Assert.Equal(["a"], await Titles($"?limit=2&cursor={first.GetProperty("next_cursor").GetString()}"));
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/api/v1/incidents?status=sleeping", Ct)).StatusCode);
        var missing = await admin.GetAsync("/api/v1/incidents/999999", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.GetAsync("/api/v1/incidents", Ct)).StatusCode);
    }
}

public sealed class SqliteIncidentTests() : IncidentTests(Db.Sqlite);

public sealed class PostgresIncidentTests() : IncidentTests(Db.Postgres);

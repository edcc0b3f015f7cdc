using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Vigil.Storage;

namespace Vigil.Web.Tests.OnCall;

public abstract class OnCallApiTests(Db provider)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Workspace = """
        name: On-call Test
        users:
          - { id: alice, name: Alice, role: responder }
          - { id: bob, name: Bob, role: responder }
          - { id: carol, name: Carol }
        schedules:
          - id: primary
            name: Primary on-call
            timezone: Europe/Berlin
            rotation: { every: 1w, handoff: "Mon 09:00", start: 2026-11-02, members: [alice, bob] }
          - id: ops
            timezone: Europe/Berlin
            layers:
              - id: business
                rotation:
                  every: 1w
                  handoff: "Mon 09:00"
                  start: 2026-11-02
                  members: [carol]
                  restrictions: [{ days: Mon-Fri, from: "09:00", until: "17:00" }]
              - id: night
                rotation: { every: 1w, handoff: "Mon 09:00", start: 2026-11-02, members: [bob] }
            overrides:
              - { user: alice, from: "2026-11-25T00:00:00+01:00", until: "2026-11-26T00:00:00+01:00" }
        """;

    // Tuesday 2026-11-24 10:00 in Berlin: bob's week on primary (his turn started Monday the 23rd at 09:00), carol's business hours on ops.
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 10, 0, 0, TimeSpan.FromHours(1));

    private async Task<TestHost> StartAsync() =>
        await TestHost.StartAsync(Workspace, provider, configure: o => o with { Time = new FakeTimeProvider(Now.ToUniversalTime()) });

    private static async Task<JsonElement> GetJson(HttpClient client, string url) => await client.GetFromJsonAsync<JsonElement>(url, Ct);

    private static (string? User, string? From, string? Until) OnCall(JsonElement e) =>
        (e.GetProperty("user").GetString(), e.GetProperty("from").GetString(), e.GetProperty("until").GetString());

    [Fact]
    public async Task Oncall_answers_who_is_on_call_now_and_at_a_given_time_with_the_shift_bounds()
    {
        await using var host = await StartAsync();
        var now = await GetJson(host.Admin, "/api/v1/oncall");
        var items = now.GetProperty("items").EnumerateArray().ToDictionary(e => e.GetProperty("schedule").GetString()!);
        Assert.Equal(("bob", "2026-11-23T08:00:00+00:00", "2026-11-30T08:00:00+00:00"), OnCall(items["primary"]));
        Assert.Equal(("carol", "2026-11-24T08:00:00+00:00", "2026-11-24T16:00:00+00:00"), OnCall(items["ops"]));
        Assert.Equal("business", items["ops"].GetProperty("layer").GetString());

        // That evening ops falls through to the night layer; the next day the workspace's override puts alice on.
        var evening = await GetJson(host.Admin, "/api/v1/oncall?schedule=ops&at=2026-11-24T20:00:00%2B01:00");
        Assert.Equal(("bob", "2026-11-24T16:00:00+00:00", "2026-11-24T23:00:00+00:00"), OnCall(evening.GetProperty("items")[0]));
        var covered = (await GetJson(host.Admin, "/api/v1/oncall?schedule=ops&at=2026-11-25T12:00:00Z")).GetProperty("items")[0];
        Assert.Equal(("alice", "override"), (covered.GetProperty("user").GetString(), covered.GetProperty("source").GetString()));

        // Before the rotation starts nobody is on call: the schedule is listed with user null.
        var before = (await GetJson(host.Admin, "/api/v1/oncall?schedule=primary&at=2026-10-01T12:00:00Z")).GetProperty("items")[0];
        Assert.Equal(JsonValueKind.Null, before.GetProperty("user").ValueKind);

        Assert.Equal(HttpStatusCode.NotFound, (await host.Admin.GetAsync("/api/v1/oncall?schedule=nope", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.Admin.GetAsync("/api/v1/oncall?at=yesterday", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.GetAsync("/api/v1/oncall", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_schedule_shows_its_layers_overrides_and_next_shifts_and_a_listing_shows_who_is_on_call()
    {
        await using var host = await StartAsync();
        var list = await GetJson(host.Admin, "/api/v1/schedules");
        Assert.Equal(["primary", "ops"], list.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("id").GetString()));
        Assert.Equal("bob", list.GetProperty("items")[0].GetProperty("on_call").GetProperty("user").GetString());

        var ops = await GetJson(host.Admin, "/api/v1/schedules/ops?until=2026-11-26T00:00:00Z");
        var business = ops.GetProperty("layers")[0];
        Assert.Equal(("1w", "Mon 09:00", "2026-11-02"), (business.GetProperty("every").GetString(), business.GetProperty("handoff").GetString(), business.GetProperty("start").GetString()));
        Assert.Equal(["Mon", "Tue", "Wed", "Thu", "Fri"], business.GetProperty("restrictions")[0].GetProperty("days").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal("workspace", ops.GetProperty("overrides")[0].GetProperty("source").GetString());
        Assert.EndsWith("/api/v1/schedules/ops.ics", ops.GetProperty("ics_url").GetString(), StringComparison.Ordinal);
        // From now (Tuesday 10:00) to Thursday 01:00 Berlin: carol until 17:00, bob's night, alice's override day, bob again.
        Assert.Equal(
            [("carol", "2026-11-24T09:00:00+00:00"), ("bob", "2026-11-24T16:00:00+00:00"), ("alice", "2026-11-24T23:00:00+00:00"), ("bob", "2026-11-25T23:00:00+00:00")],
            ops.GetProperty("shifts").EnumerateArray().Select(s => (s.GetProperty("user").GetString(), s.GetProperty("from").GetString())));

        Assert.Equal(HttpStatusCode.NotFound, (await host.Admin.GetAsync("/api/v1/schedules/nope", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.Admin.GetAsync("/api/v1/schedules/ops?from=2026-11-24T00:00:00Z&until=2030-01-01T00:00:00Z", Ct)).StatusCode);
    }

    [Fact]
    public async Task Responders_add_and_remove_overrides_that_change_who_is_on_call_and_every_attempt_is_audited()
    {
        await using var host = await StartAsync();
        var (_, responder) = await host.CreateTokenAsync("resp", "responder");
        var (_, viewer) = await host.CreateTokenAsync("view", "viewer");

        var body = new { user = "carol", from = "2026-11-24T09:30:00+01:00", until = "2026-11-24T12:00:00+01:00", reason = "bob at the dentist" };
        Assert.Equal(HttpStatusCode.Forbidden, (await host.ClientWith(viewer).PostAsJsonAsync("/api/v1/schedules/primary/overrides", body, Ct)).StatusCode);
        var created = await host.ClientWith(responder).PostAsJsonAsync("/api/v1/schedules/primary/overrides", body, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var o = await created.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Equal(("carol", "api", "resp"), (o.GetProperty("user").GetString(), o.GetProperty("source").GetString(), o.GetProperty("created_by").GetString()));

        var now = (await GetJson(host.Admin, "/api/v1/oncall?schedule=primary")).GetProperty("items")[0];
        Assert.Equal(("carol", "2026-11-24T08:30:00+00:00", "2026-11-24T11:00:00+00:00"), OnCall(now));
        Assert.Equal(o.GetProperty("id").GetInt64(), now.GetProperty("override_id").GetInt64());

        // Bad input: unknown user, reversed times, an override already over, an unknown schedule. Nothing is stored.
        var client = host.ClientWith(responder);
        var bad = await client.PostAsJsonAsync("/api/v1/schedules/primary/overrides", new { user = "mallory", from = "2026-11-24T13:00:00Z", until = "2026-11-24T12:00:00Z" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.Contains("no user 'mallory'", errors.GetProperty("user").GetString(), StringComparison.Ordinal);
        Assert.Equal("until must be after from", errors.GetProperty("until").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync("/api/v1/schedules/primary/overrides", new { user = "carol", from = "2026-11-01T00:00:00Z", until = "2026-11-02T00:00:00Z" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsJsonAsync("/api/v1/schedules/nope/overrides", body, Ct)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/schedules/primary/overrides/{o.GetProperty("id").GetInt64()}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync($"/api/v1/schedules/primary/overrides/{o.GetProperty("id").GetInt64()}", Ct)).StatusCode);
        Assert.Equal("bob", (await GetJson(host.Admin, "/api/v1/oncall?schedule=primary")).GetProperty("items")[0].GetProperty("user").GetString());

        await using var db = await host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>().CreateDbContextAsync(Ct);
        Assert.Equal(0, await db.ScheduleOverrides.CountAsync(Ct));
        var audit = await db.AuditEvents.AsNoTracking().Where(e => e.Action.StartsWith("schedule.override")).OrderBy(e => e.Id).Select(e => new { e.Action, e.Outcome, e.Actor }).ToListAsync(Ct);
        Assert.Equal(
            [("schedule.override.create", "ok"), ("schedule.override.create", "failed"), ("schedule.override.create", "failed"), ("schedule.override.create", "failed"), ("schedule.override.delete", "ok"), ("schedule.override.delete", "failed")],
            audit.Select(a => (a.Action, a.Outcome)));
    }

    [Fact]
    public async Task The_ics_feeds_carry_each_shift_and_take_the_token_in_the_query_for_calendar_apps_only()
    {
        await using var host = await StartAsync();
        var (_, viewer) = await host.CreateTokenAsync("calendar", "viewer");
        var feed = await host.Client.GetAsync($"/api/v1/schedules/primary.ics?token={viewer}", Ct);
        Assert.Equal(HttpStatusCode.OK, feed.StatusCode);
        Assert.Equal("text/calendar", feed.Content.Headers.ContentType?.MediaType);
        var text = await feed.Content.ReadAsStringAsync(Ct);
        Assert.StartsWith("BEGIN:VCALENDAR", text, StringComparison.Ordinal);
        Assert.True(text.Contains("X-WR-CALNAME:On call: Primary on-call", StringComparison.Ordinal), text);
        // bob's current week, in UTC.
        Assert.Contains("DTSTART:20261123T080000Z", text, StringComparison.Ordinal);
        Assert.Contains("DTEND:20261130T080000Z", text, StringComparison.Ordinal);
        Assert.Contains("SUMMARY:On call: bob (primary)", text, StringComparison.Ordinal);

        var alice = await host.ClientWith(viewer).GetStringAsync("/api/v1/users/alice/oncall.ics", Ct);
        Assert.Contains("SUMMARY:On call: alice (ops\\, override)", alice, StringComparison.Ordinal); // RFC 5545 escapes the comma
        Assert.Contains("SUMMARY:On call: alice (primary)", alice, StringComparison.Ordinal);
        Assert.DoesNotContain("bob", alice, StringComparison.Ordinal);

        // The query token is refused anywhere else, and a wrong one is refused on the feed too.
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.GetAsync($"/api/v1/schedules/primary?token={viewer}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.GetAsync("/api/v1/schedules/primary.ics?token=vgl_wrong", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.GetAsync("/api/v1/schedules/primary.ics", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await host.ClientWith(viewer).GetAsync("/api/v1/users/nobody/oncall.ics", Ct)).StatusCode);
    }
}

public sealed class SqliteOnCallApiTests() : OnCallApiTests(Db.Sqlite);

public sealed class PostgresOnCallApiTests() : OnCallApiTests(Db.Postgres);

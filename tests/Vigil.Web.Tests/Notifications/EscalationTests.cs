using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Vigil.Storage;
using Vigil.Web.Escalation;

namespace Vigil.Web.Tests.Notifications;

public abstract class EscalationTests(Db provider)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Tuesday: alice's first week on the primary rotation.
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    private static string Workspace(Receiver r, string respondWithin = "4h") => $$"""
        name: Escalation Test
        severities:
          - { id: P1, name: Critical, respond_within: {{respondWithin}}, page: true }
          - { id: P3, name: Low, page: false }
        users:
          - { id: alice, webhook: "{{r.Url}}/alice" }
          - { id: bob, webhook: "{{r.Url}}/bob" }
          - { id: lead, webhook: "{{r.Url}}/lead", slack: "{{r.Url}}/lead-slack" }
          - { id: ghost }
        schedules:
          - id: primary
            timezone: UTC
            rotation: { every: 1w, handoff: "Mon 09:00", start: 2026-11-23, members: [alice, bob] }
        channels:
          - { id: ops, type: webhook, url: "{{r.Url}}/ops", events: [] }
        escalation_policies:
          - id: default
            steps:
              - { notify: [schedule:primary], wait: 15m }
              - { notify: [user:lead, channel:ops, user:ghost], wait: 30m }
            repeat: 1
        services:
          - { id: backend, escalation: default }
        """;

    private Task<TestHost> StartAsync(Receiver r, FakeTimeProvider time, string respondWithin = "4h", string? workspace = null, string? database = null) =>
        workspace is null
            ? TestHost.StartAsync(Workspace(r, respondWithin), provider, database: database, configure: o => o with { Time = time })
            : TestHost.StartAsync(db: provider, workspaceDirectory: workspace, database: database, configure: o => o with { Time = time });

    private static async Task<long> OpenAsync(TestHost host, string severity = "P1")
    {
        var created = await host.Admin.PostAsJsonAsync("/api/v1/incidents", new { title = "Backend is down", severity, service = "backend" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
    }

    private static string[] Paths(Receiver r) => [.. r.Requests.Select(x => x.Path)];

    /// <summary>Waits until the receiver has <paramref name="count"/> requests, then a little more to see that no other comes.</summary>
    private static async Task ExpectAsync(Receiver r, int count, string why)
    {
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(r.Requests.Count >= count)), $"{why}: {string.Join(", ", Paths(r))}");
        await Task.Delay(250, Ct);
        Assert.True(r.Requests.Count == count, $"{why}: exactly {count}, got {string.Join(", ", Paths(r))}");
    }

    private static async Task<List<string>> EscalationEntriesAsync(TestHost host, long id) =>
        [.. (await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{id}/timeline?limit=100", Ct)).GetProperty("items").EnumerateArray()
            .Where(e => e.GetProperty("kind").GetString() == "escalation").Select(e => e.GetProperty("text").GetString()!)];

    private static async Task<Storage.Escalation> RowAsync(TestHost host, long incident)
    {
        await using var db = await host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>().CreateDbContextAsync(Ct);
        return await db.Escalations.AsNoTracking().SingleAsync(e => e.IncidentId == incident, Ct);
    }

    /// <summary>Moves the fake clock, then lets the engine's timer fire.</summary>
    private static async Task AdvanceAsync(FakeTimeProvider time, TimeSpan by)
    {
        time.Advance(by);
        await Task.Delay(50, Ct);
    }

    [Fact]
    public async Task A_paging_incident_walks_its_policy_step_by_step_waits_between_steps_repeats_and_then_stops()
    {
        await using var r = await Receiver.StartAsync();
        var time = new FakeTimeProvider(Start);
        await using var host = await StartAsync(r, time);
        var id = await OpenAsync(host);
        await ExpectAsync(r, 1, "step 1 pages whoever is on call");
        Assert.Equal("/alice", r.Requests.Single().Path);
        Assert.Equal("escalated", JsonDocument.Parse(r.Requests.Single().Body).RootElement.GetProperty("event").GetString());
        var escalation = await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{id}/escalation", Ct);
        Assert.Equal(("default", "pending", 2, 2, 0, 1), (escalation.GetProperty("policy").GetString(), escalation.GetProperty("state").GetString(),
            escalation.GetProperty("next_step").GetInt32(), escalation.GetProperty("steps").GetInt32(), escalation.GetProperty("repeat").GetInt32(), escalation.GetProperty("repeats").GetInt32()));
        Assert.Equal(Start.AddMinutes(15), escalation.GetProperty("due_at").GetDateTimeOffset());

        await AdvanceAsync(time, TimeSpan.FromMinutes(14));
        await ExpectAsync(r, 1, "nothing before the step's wait is over");
        await AdvanceAsync(time, TimeSpan.FromMinutes(1));
        await ExpectAsync(r, 4, "step 2 pages the lead (webhook and slack) and the ops channel");
        Assert.Equal(["/lead", "/lead-slack", "/ops"], Paths(r)[1..].Order());

        await AdvanceAsync(time, TimeSpan.FromMinutes(30));
        await ExpectAsync(r, 5, "repeat: step 1 again");
        await AdvanceAsync(time, TimeSpan.FromMinutes(15));
        await ExpectAsync(r, 8, "repeat: step 2 again");
        await AdvanceAsync(time, TimeSpan.FromHours(3));
        await ExpectAsync(r, 8, "after its one repeat the policy is done");
        Assert.Equal(Escalations.Done, (await RowAsync(host, id)).State);
        var over = await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{id}/escalation", Ct);
        Assert.Equal(("done", JsonValueKind.Null), (over.GetProperty("state").GetString(), over.GetProperty("due_at").ValueKind));

        var entries = await EscalationEntriesAsync(host, id);
        Assert.Equal(4, entries.Count);
        Assert.Equal("Escalation default, step 1 of 2: user alice (on call for primary) by webhook.", entries[0]);
        Assert.Equal("Escalation default, step 2 of 2: user lead by webhook, slack; channel ops; user ghost has no contact to reach (email with an email channel, webhook or slack).", entries[1]);
        Assert.Equal("Escalation default, step 1 of 2, repeat 1 of 1: user alice (on call for primary) by webhook.", entries[2]);
    }

    [Fact]
    public async Task Acknowledging_stops_the_escalation_and_an_incident_that_does_not_page_never_starts_one()
    {
        await using var r = await Receiver.StartAsync();
        var time = new FakeTimeProvider(Start);
        await using var host = await StartAsync(r, time);
        var id = await OpenAsync(host);
        await ExpectAsync(r, 1, "step 1");
        Assert.Equal(HttpStatusCode.OK, (await host.Admin.PostAsync($"/api/v1/incidents/{id}/acknowledge", null, Ct)).StatusCode);
        await AdvanceAsync(time, TimeSpan.FromMinutes(20));
        await ExpectAsync(r, 1, "no step after the acknowledgement");
        Assert.True(await TestHost.EventuallyAsync(async () => (await RowAsync(host, id)).State == Escalations.Cancelled), "the escalation ended");
        Assert.Contains("Escalation default ended: the incident is acknowledged.", await EscalationEntriesAsync(host, id));

        // Withdrawing the acknowledgement starts the policy over, from its first step.
        Assert.Equal(HttpStatusCode.OK, (await host.Admin.PostAsync($"/api/v1/incidents/{id}/unacknowledge", null, Ct)).StatusCode);
        await ExpectAsync(r, 2, "step 1 again");
        Assert.Equal("/alice", Paths(r)[1]);

        var quiet = await OpenAsync(host, "P3");
        await AdvanceAsync(time, TimeSpan.FromHours(1));
        await using var db = await host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>().CreateDbContextAsync(Ct);
        Assert.False(await db.Escalations.AnyAsync(e => e.IncidentId == quiet, Ct));
        var none = await host.Admin.GetAsync($"/api/v1/incidents/{quiet}/escalation", Ct);
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Contains("did not page", await none.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missed_response_time_moves_to_the_next_step_at_once()
    {
        await using var r = await Receiver.StartAsync();
        var time = new FakeTimeProvider(Start);
        await using var host = await StartAsync(r, time, respondWithin: "5m");
        var id = await OpenAsync(host);
        await ExpectAsync(r, 1, "step 1");
        // 5 minutes in, well before step 1's 15-minute wait: the response deadline passes (checked every 5 s).
        await AdvanceAsync(time, TimeSpan.FromMinutes(5));
        await AdvanceAsync(time, TimeSpan.FromSeconds(6));
        await ExpectAsync(r, 4, "the miss brings step 2 forward");
        var timeline = (await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{id}/timeline?limit=100", Ct)).GetProperty("items").EnumerateArray()
            .Select(e => e.GetProperty("text").GetString()!).ToList();
        Assert.Contains(timeline, t => t.StartsWith("Not acknowledged within 5m", StringComparison.Ordinal) && t.EndsWith("Escalating to the next step now.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_restart_in_the_middle_of_a_wait_resumes_on_time_and_no_step_fires_twice()
    {
        var (database, drop) = provider == Db.Postgres ? await TestHost.CreatePostgresDatabaseAsync() : (null, () => ValueTask.CompletedTask);
        try
        {
            await using var r = await Receiver.StartAsync();
            var time = new FakeTimeProvider(Start);
            string workspace;
            long id;
            await using (var first = await StartAsync(r, time, database: database))
            {
                workspace = first.WorkspaceDirectory;
                id = await OpenAsync(first);
                await ExpectAsync(r, 1, "step 1 before the restart");
                await AdvanceAsync(time, TimeSpan.FromMinutes(10));
            }
            // Down for 10 minutes, past step 2's due time: the new process runs it once, at start.
            time.Advance(TimeSpan.FromMinutes(10));
            await using (var second = await StartAsync(r, time, workspace: workspace, database: database))
            {
                await ExpectAsync(r, 4, "step 2 once after the restart, step 1 not again");
                Assert.Equal(["/alice", "/lead", "/lead-slack", "/ops"], [Paths(r)[0], .. Paths(r)[1..].Order()]);
                var row = await RowAsync(second, id);
                Assert.Equal((0, 1, Start.AddMinutes(20).AddMinutes(30)), (row.StepIndex, row.RepeatCount, row.DueAt.ToUniversalTime()));
                Assert.Equal(2, (await EscalationEntriesAsync(second, id)).Count);
            }
        }
        finally
        {
            await drop();
        }
    }
}

public sealed class SqliteEscalationTests() : EscalationTests(Db.Sqlite);

public sealed class PostgresEscalationTests() : EscalationTests(Db.Postgres);

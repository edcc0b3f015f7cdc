using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Vigil.Web.Tests.Notifications;

namespace Vigil.Web.Tests.OnCall;

public abstract class HandoffTests(Db provider)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Monday 2026-11-23, a minute before the 09:00 (Berlin) handoff from alice to bob.
    private static readonly DateTimeOffset BeforeHandoff = new(2026, 11, 23, 7, 59, 0, TimeSpan.Zero);

    private static string Workspace(Receiver r) => $$"""
        name: Handoff Test
        timezone: Europe/Berlin
        severities: [{ id: P1, name: Critical, respond_within: 15m }]
        users:
          - { id: alice, webhook: "{{r.Url}}/alice" }
          - { id: bob, webhook: "{{r.Url}}/bob" }
        schedules:
          - id: primary
            name: Primary on-call
            timezone: Europe/Berlin
            rotation: { every: 1w, handoff: "Mon 09:00", start: 2026-11-16, members: [alice, bob] }
        services:
          - { id: backend }
        maintenance:
          windows:
            - { id: sunday-patch, services: [backend], cron: "0 2 * * SUN", duration: 1h }
        """;

    [Fact]
    public async Task The_incoming_on_call_person_is_told_once_at_the_handoff_with_the_open_incidents_and_the_maintenance_ahead()
    {
        var (database, drop) = provider == Db.Postgres ? await TestHost.CreatePostgresDatabaseAsync() : (null, () => ValueTask.CompletedTask);
        try
        {
            await using var r = await Receiver.StartAsync();
            var time = new FakeTimeProvider(BeforeHandoff);
            string workspace;
            await using (var host = await TestHost.StartAsync(Workspace(r), provider, database: database, configure: o => o with { Time = time }))
            {
                workspace = host.WorkspaceDirectory;
                var created = await host.Admin.PostAsJsonAsync("/api/v1/incidents", new { title = "Disk filling up", severity = "P1", service = "backend" }, Ct);
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                await Task.Delay(300, Ct);
                Assert.Empty(r.Requests);

                time.Advance(TimeSpan.FromMinutes(2));
                Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(r.Requests.Count == 1)), "bob is told");
                var (path, _, body) = r.Requests.Single();
                Assert.Equal("/bob", path);
                var message = JsonDocument.Parse(body).RootElement;
                Assert.Equal("handoff", message.GetProperty("event").GetString());
                var notice = message.GetProperty("handoff");
                Assert.Equal(("primary", "bob", "alice"), (notice.GetProperty("schedule").GetString(), notice.GetProperty("user").GetString(), notice.GetProperty("previous").GetString()));
                Assert.Equal(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero), notice.GetProperty("from").GetDateTimeOffset());
                Assert.Equal("Disk filling up", notice.GetProperty("open_incidents")[0].GetProperty("title").GetString());
                // Sunday 29 November 02:00 in Berlin is 01:00 UTC, inside bob's week.
                var window = notice.GetProperty("maintenance")[0];
                Assert.Equal(("sunday-patch", new DateTimeOffset(2026, 11, 29, 1, 0, 0, TimeSpan.Zero)), (window.GetProperty("id").GetString(), window.GetProperty("from").GetDateTimeOffset()));
                Assert.StartsWith("You are on call for Primary on-call from 2026-11-23 08:00:00Z", message.GetProperty("text").GetString(), StringComparison.Ordinal);
                Assert.Equal(JsonValueKind.Null, message.GetProperty("links").ValueKind);

                time.Advance(TimeSpan.FromMinutes(5));
                await Task.Delay(300, Ct);
                Assert.Single(r.Requests);
            }
            // A restart within the hour does not tell it again.
            time.Advance(TimeSpan.FromMinutes(10));
            await using (await TestHost.StartAsync(db: provider, workspaceDirectory: workspace, database: database, configure: o => o with { Time = time }))
            {
                await Task.Delay(1000, Ct);
                Assert.Single(r.Requests);
            }
        }
        finally
        {
            await drop();
        }
    }

    [Fact]
    public async Task A_handoff_longer_ago_than_the_look_back_is_not_told_late()
    {
        await using var r = await Receiver.StartAsync();
        var time = new FakeTimeProvider(BeforeHandoff.AddHours(2));
        await using var host = await TestHost.StartAsync(Workspace(r), provider, configure: o => o with { Time = time });
        await Task.Delay(1000, Ct);
        Assert.Empty(r.Requests);
    }
}

public sealed class SqliteHandoffTests() : HandoffTests(Db.Sqlite);

public sealed class PostgresHandoffTests() : HandoffTests(Db.Postgres);

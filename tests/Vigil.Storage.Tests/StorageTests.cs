using Microsoft.EntityFrameworkCore;

namespace Vigil.Storage.Tests;

/// <summary>
/// Behaviour every storage provider must have. Each concrete subclass runs all of these against its own engine.
/// </summary>
public abstract class StorageTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    private static readonly string[] SpecTables =
    [
        "api_tokens", "audit_events", "check_results", "check_rollups", "check_states", "heartbeats",
        "heartbeat_pings", "alerts", "incidents", "incident_timeline", "escalations", "outbox", "inbound_events",
        "schedule_overrides", "silences", "step_executions", "maintenance_runs", "postmortems", "integration_keys",
        "instances", "leases", "server_keys",
    ];

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A new empty database, not yet migrated.</summary>
    protected abstract Task<TestDatabase> CreateDatabaseAsync();

    /// <summary>A query returning the names of the tables in the database, as a column named <c>Value</c>.</summary>
    protected abstract string ListTablesSql { get; }

    [Fact]
    public async Task Migrations_apply_to_an_empty_database_and_a_second_run_changes_nothing()
    {
        await using var database = await CreateDatabaseAsync();
        await using (var db = database.NewContext())
        {
            Assert.False(db.Database.HasPendingModelChanges(), "The model has changes no migration covers: add a migration for each provider.");
            Assert.Contains(await db.Database.GetPendingMigrationsAsync(Ct), m => m.EndsWith("_InitialCreate", StringComparison.Ordinal));
        }

        await database.MigrateAsync();
        var applied = await AppliedMigrationsAsync(database);
        Assert.Contains(applied, m => m.EndsWith("_InitialCreate", StringComparison.Ordinal));

        await database.MigrateAsync();
        Assert.Equal(applied, await AppliedMigrationsAsync(database));
        await using var after = database.NewContext();
        Assert.Empty(await after.Database.GetPendingMigrationsAsync(Ct));
    }

    [Fact]
    public async Task Every_table_of_the_spec_exists_with_its_snake_case_name()
    {
        await using var database = await CreateDatabaseAsync();
        await database.MigrateAsync();
        await using var db = database.NewContext();

        var tables = await db.Database.SqlQueryRaw<string>(ListTablesSql).ToListAsync(Ct);

        Assert.All(SpecTables, table => Assert.Contains(table, tables));
        Assert.Equal(SpecTables.Order(), db.Model.GetEntityTypes().Select(e => e.GetTableName()!).Order());
    }

    [Fact]
    public async Task An_incident_and_its_timeline_round_trip()
    {
        await using var database = await CreateDatabaseAsync();
        await database.MigrateAsync();
        long id;
        await using (var db = database.NewContext())
        {
            var incident = NewIncident("backend/health", "triggered");
            incident.Timeline.Add(new IncidentTimelineEntry { At = T0, Kind = "triggered", Actor = "system", Text = "health failed twice", Data = "{\"status\":503}" });
            incident.Timeline.Add(new IncidentTimelineEntry { At = T0.AddMinutes(3), Kind = "note", Actor = "alice", Text = "looking" });
            db.Incidents.Add(incident);
            await db.SaveChangesAsync(Ct);
            id = incident.Id;
        }

        await using var read = database.NewContext();
        var loaded = await read.Incidents
            .Include(i => i.Timeline.OrderBy(t => t.At))
            .SingleAsync(i => i.Id == id, Ct);

        Assert.Equal("Backend API is down", loaded.Title);
        Assert.Equal("backend", loaded.ServiceId);
        Assert.Equal("P1", loaded.Severity);
        Assert.Equal("triggered", loaded.Status);
        Assert.Equal("backend/health", loaded.DedupKey);
        Assert.Equal(T0, loaded.OpenedAt);
        Assert.Equal(TimeSpan.Zero, loaded.OpenedAt.Offset);
        Assert.Null(loaded.AcknowledgedAt);
        Assert.Equal("runbooks/operations.md", loaded.RunbookPath);
        Assert.Equal("service-down", loaded.RunbookSection);
        Assert.Equal(["triggered", "note"], loaded.Timeline.Select(t => t.Kind));
        Assert.Equal("{\"status\":503}", loaded.Timeline[0].Data);
        Assert.Equal(T0.AddMinutes(3), loaded.Timeline[1].At);
    }

    [Fact]
    public async Task Updating_an_incident_bumps_its_version_and_a_stale_update_is_rejected()
    {
        await using var database = await CreateDatabaseAsync();
        await database.MigrateAsync();
        long id;
        await using (var db = database.NewContext())
        {
            var incident = NewIncident("k", "triggered");
            db.Incidents.Add(incident);
            await db.SaveChangesAsync(Ct);
            id = incident.Id;
        }

        await using var first = database.NewContext();
        await using var second = database.NewContext();
        var mine = await first.Incidents.SingleAsync(i => i.Id == id, Ct);
        var theirs = await second.Incidents.SingleAsync(i => i.Id == id, Ct);

        mine.Status = "acknowledged";
        mine.Assignee = "alice";
        await first.SaveChangesAsync(Ct);
        Assert.Equal(1, mine.Version);

        theirs.Status = "resolved";
        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => second.SaveChangesAsync(Ct));

        await using var check = database.NewContext();
        var stored = await check.Incidents.SingleAsync(i => i.Id == id, Ct);
        Assert.Equal(("acknowledged", "alice", 1), (stored.Status, stored.Assignee, stored.Version));
    }

    [Fact]
    public async Task Timestamp_ranges_and_ordering_translate_to_sql()
    {
        await using var database = await CreateDatabaseAsync();
        await database.MigrateAsync();
        await using (var db = database.NewContext())
        {
            // Inserted out of order, one second apart, with milliseconds so precision loss would show.
            foreach (var seconds in new[] { 5, 1, 4, 0, 3, 2 })
            {
                db.CheckResults.Add(new CheckResult
                {
                    ServiceId = "backend",
                    CheckId = "health",
                    At = T0.AddSeconds(seconds).AddMilliseconds(250),
                    Status = seconds == 3 ? "down" : "up",
                    LatencyMs = seconds * 10.5,
                });
            }
            db.CheckResults.Add(new CheckResult { ServiceId = "backend", CheckId = "queue", At = T0.AddSeconds(2), Status = "up", LatencyMs = 1, Value = 12 });
            db.Outbox.Add(NewOutbox("due", nextAttemptAt: T0));
            db.Outbox.Add(NewOutbox("later", nextAttemptAt: T0.AddMinutes(5)));
            await db.SaveChangesAsync(Ct);
        }

        await using var read = database.NewContext();
        var from = T0.AddSeconds(1);
        var to = T0.AddSeconds(4).AddMilliseconds(250);
        var window = await read.CheckResults
            .Where(r => r.ServiceId == "backend" && r.CheckId == "health" && r.At >= from && r.At < to)
            .OrderByDescending(r => r.At)
            .ToListAsync(Ct);
        Assert.Equal([T0.AddSeconds(3.25), T0.AddSeconds(2.25), T0.AddSeconds(1.25)], window.Select(r => r.At));

        var latest = await read.CheckResults.Where(r => r.CheckId == "health").MaxAsync(r => r.At, Ct);
        Assert.Equal(T0.AddSeconds(5.25), latest);

        var firstFailure = await read.CheckResults.Where(r => r.Status == "down").OrderBy(r => r.At).Select(r => (DateTimeOffset?)r.At).FirstAsync(Ct);
        Assert.Equal(T0.AddSeconds(3.25), firstFailure);

        var now = T0.AddMinutes(1);
        var due = await read.Outbox.Where(o => o.State == "pending" && o.NextAttemptAt <= now).Select(o => o.EventKey).ToListAsync(Ct);
        Assert.Equal(["due"], due);
    }

    [Fact]
    public async Task Due_work_is_claimed_once_by_a_conditional_update()
    {
        await using var database = await CreateDatabaseAsync();
        await database.MigrateAsync();
        long incidentId;
        await using (var db = database.NewContext())
        {
            var incident = NewIncident("k", "triggered");
            db.Incidents.Add(incident);
            await db.SaveChangesAsync(Ct);
            incidentId = incident.Id;
            db.Escalations.Add(new Escalation { IncidentId = incidentId, PolicyId = "default", StepIndex = 1, State = "pending", DueAt = T0.AddMinutes(15) });
            await db.SaveChangesAsync(Ct);
        }

        async Task<int> ClaimAsync(string instance, DateTimeOffset now)
        {
            await using var db = database.NewContext();
            return await db.Escalations
                .Where(e => e.State == "pending" && e.DueAt <= now && (e.ClaimedUntil == null || e.ClaimedUntil < now))
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.ClaimedBy, instance).SetProperty(e => e.ClaimedUntil, now.AddSeconds(30)), Ct);
        }

        Assert.Equal(0, await ClaimAsync("a", T0.AddMinutes(14)));
        Assert.Equal(1, await ClaimAsync("a", T0.AddMinutes(15)));
        Assert.Equal(0, await ClaimAsync("b", T0.AddMinutes(15).AddSeconds(10)));

        await using var check = database.NewContext();
        var escalation = await check.Escalations.SingleAsync(e => e.IncidentId == incidentId, Ct);
        Assert.Equal(("a", T0.AddMinutes(15).AddSeconds(30)), (escalation.ClaimedBy, escalation.ClaimedUntil));
    }

    [Fact]
    public async Task The_same_outbox_event_key_cannot_be_enqueued_twice()
    {
        await using var database = await CreateDatabaseAsync();
        await database.MigrateAsync();
        await using (var db = database.NewContext())
        {
            db.Outbox.Add(NewOutbox("incident:1:step:0:user:alice:email", T0));
            await db.SaveChangesAsync(Ct);
        }

        await using var again = database.NewContext();
        again.Outbox.Add(NewOutbox("incident:1:step:0:user:alice:email", T0.AddSeconds(1)));
        await Assert.ThrowsAsync<DbUpdateException>(() => again.SaveChangesAsync(Ct));

        await using var check = database.NewContext();
        Assert.Equal(1, await check.Outbox.CountAsync(Ct));
    }

    [Fact]
    public async Task Api_token_hashes_are_unique()
    {
        await using var database = await CreateDatabaseAsync();
        await database.MigrateAsync();
        var hash = new string('a', 64);
        await using (var db = database.NewContext())
        {
            db.ApiTokens.Add(NewToken("tok_1", hash));
            await db.SaveChangesAsync(Ct);
        }

        await using var again = database.NewContext();
        again.ApiTokens.Add(NewToken("tok_2", hash));
        await Assert.ThrowsAsync<DbUpdateException>(() => again.SaveChangesAsync(Ct));

        await using var check = database.NewContext();
        var token = await check.ApiTokens.SingleAsync(t => t.TokenHash == hash, Ct);
        Assert.Equal(("tok_1", "vgl_AbCd", "admin"), (token.Id, token.Prefix, token.Role));
    }

    [Fact]
    public async Task Only_one_incident_per_dedup_key_is_open_at_a_time()
    {
        await using var database = await CreateDatabaseAsync();
        await database.MigrateAsync();
        await using (var db = database.NewContext())
        {
            db.Incidents.Add(NewIncident("backend/health", "acknowledged"));
            await db.SaveChangesAsync(Ct);
        }

        await using (var duplicate = database.NewContext())
        {
            duplicate.Incidents.Add(NewIncident("backend/health", "triggered"));
            await Assert.ThrowsAsync<DbUpdateException>(() => duplicate.SaveChangesAsync(Ct));
        }

        await using (var resolve = database.NewContext())
        {
            var open = await resolve.Incidents.SingleAsync(Ct);
            open.Status = "resolved";
            open.ResolvedAt = T0.AddHours(1);
            await resolve.SaveChangesAsync(Ct);
            resolve.Incidents.Add(NewIncident("backend/health", "triggered"));
            await resolve.SaveChangesAsync(Ct);
        }

        await using var check = database.NewContext();
        Assert.Equal(2, await check.Incidents.CountAsync(i => i.DedupKey == "backend/health", Ct));
    }

    [Fact]
    public async Task An_alert_is_unique_per_source_integration_and_fingerprint()
    {
        await using var database = await CreateDatabaseAsync();
        await database.MigrateAsync();
        await using (var db = database.NewContext())
        {
            db.Alerts.Add(NewAlert("alertmanager", "prom", "abc"));
            db.Alerts.Add(NewAlert("alertmanager", "prom-eu", "abc"));
            db.Alerts.Add(NewAlert("check", "", "backend/health"));
            await db.SaveChangesAsync(Ct);
        }

        foreach (var (source, integration, fingerprint) in new[] { ("alertmanager", "prom", "abc"), ("check", "", "backend/health") })
        {
            await using var again = database.NewContext();
            again.Alerts.Add(NewAlert(source, integration, fingerprint));
            await Assert.ThrowsAsync<DbUpdateException>(() => again.SaveChangesAsync(Ct));
        }
    }

    [Fact]
    public async Task Deleting_an_incident_removes_its_timeline_and_unlinks_its_alerts()
    {
        await using var database = await CreateDatabaseAsync();
        await database.MigrateAsync();
        long id;
        await using (var db = database.NewContext())
        {
            var incident = NewIncident("k", "resolved");
            incident.Timeline.Add(new IncidentTimelineEntry { At = T0, Kind = "triggered", Actor = "system", Text = "x" });
            db.Incidents.Add(incident);
            await db.SaveChangesAsync(Ct);
            id = incident.Id;
            var alert = NewAlert("check", "", "backend/health");
            alert.IncidentId = id;
            db.Alerts.Add(alert);
            await db.SaveChangesAsync(Ct);
        }

        await using (var delete = database.NewContext())
        {
            // A bulk delete, as retention would do it: the database itself must cascade.
            Assert.Equal(1, await delete.Incidents.Where(i => i.Id == id).ExecuteDeleteAsync(Ct));
        }

        await using var check = database.NewContext();
        Assert.Equal(0, await check.IncidentTimeline.CountAsync(Ct));
        Assert.Null((await check.Alerts.SingleAsync(Ct)).IncidentId);
    }

    private static async Task<List<string>> AppliedMigrationsAsync(TestDatabase database)
    {
        await using var db = database.NewContext();
        return [.. await db.Database.GetAppliedMigrationsAsync(Ct)];
    }

    private static Incident NewIncident(string dedupKey, string status) => new()
    {
        Title = "Backend API is down",
        ServiceId = "backend",
        Severity = "P1",
        Status = status,
        DedupKey = dedupKey,
        OpenedAt = T0,
        RunbookPath = "runbooks/operations.md",
        RunbookSection = "service-down",
    };

    private static OutboxMessage NewOutbox(string eventKey, DateTimeOffset nextAttemptAt) => new()
    {
        EventKey = eventKey,
        ChannelId = "ops",
        Target = "alice",
        Kind = "incident.triggered",
        Payload = "{}",
        State = "pending",
        NextAttemptAt = nextAttemptAt,
        CreatedAt = T0,
    };

    private static ApiToken NewToken(string id, string hash) => new()
    {
        Id = id,
        Name = "ci",
        Role = "admin",
        TokenHash = hash,
        Prefix = "vgl_AbCd",
        CreatedAt = T0,
        CreatedBy = "bootstrap",
    };

    private static Alert NewAlert(string source, string integrationId, string fingerprint) => new()
    {
        Source = source,
        IntegrationId = integrationId,
        Fingerprint = fingerprint,
        DedupKey = "backend/health",
        ServiceId = "backend",
        Severity = "P1",
        Status = "firing",
        Summary = "Backend down",
        StartedAt = T0,
        LastEventAt = T0,
    };
}

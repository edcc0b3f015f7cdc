using Microsoft.Extensions.DependencyInjection.Extensions;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Vigil.Core.Checks;
using Vigil.Core.Checks.Engine;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Checks;
using CheckResult = Vigil.Core.Checks.CheckResult;

namespace Vigil.Web.Tests.Checks;

public abstract class CheckEngineTests(Db provider)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CheckResult Result(CheckStatus status, DateTimeOffset at, double latency = 12, string check = "health", string service = "backend") =>
        new(service, check, CheckKind.Http, at, status, latency, status == CheckStatus.Up ? "ok" : "[STATUS] (503) == 200", null, at);

    private static DateTimeOffset Hour(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero);

    private static async Task WaitWritten(TestHost host, long count)
    {
        var writer = host.App.Services.GetRequiredService<CheckResultWriter>();
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(writer.Written >= count)), $"{writer.Written} of {count} results stored");
    }

    [Fact]
    public async Task Writer_stores_results_and_states_and_publishes_each_state_change_once_after_commit()
    {
        await using var host = await TestHost.StartAsync(db: provider);
        var sink = host.App.Services.GetRequiredService<ICheckResultSink>();
        using var sub = host.App.Services.GetRequiredService<CheckStateChanges>().Subscribe();
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-1);
        var statuses = new[] { CheckStatus.Up, CheckStatus.Up, CheckStatus.Down, CheckStatus.Down, CheckStatus.Up, CheckStatus.Down };
        for (var i = 0; i < statuses.Length; i++) await sink.PublishAsync(Result(statuses[i], t0.AddSeconds(i)), Ct);
        await WaitWritten(host, statuses.Length);

        var factory = host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>();
        await using (var db = await factory.CreateDbContextAsync(Ct))
        {
            Assert.Equal(6, await db.CheckResults.CountAsync(r => r.ServiceId == "backend" && r.CheckId == "health", Ct));
            var state = await db.CheckStates.SingleAsync(Ct);
            Assert.Equal("down", state.Status);
            Assert.Equal(1, state.ConsecutiveFailures);
            Assert.Equal(0, state.ConsecutiveSuccesses);
            Assert.Equal(t0.AddSeconds(5).ToUnixTimeMilliseconds(), state.FailingSince!.Value.ToUnixTimeMilliseconds());
            Assert.Equal("[STATUS] (503) == 200", state.Message);
        }

        var seen = new List<(CheckStatus, CheckStatus)>();
        while (seen.Count < 4)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var c = await sub.Reader.ReadAsync(cts.Token);
            seen.Add((c.Previous, c.Current));
        }
        Assert.Equal([(CheckStatus.Unknown, CheckStatus.Up), (CheckStatus.Up, CheckStatus.Down), (CheckStatus.Down, CheckStatus.Up), (CheckStatus.Up, CheckStatus.Down)], seen);
        Assert.False(sub.Reader.TryRead(out _));

        // The services API reads the stored state.
        var svc = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/services/backend", Ct);
        var check = svc.GetProperty("checks")[0];
        Assert.Equal("down", svc.GetProperty("status").GetString());
        Assert.Equal("down", check.GetProperty("status").GetString());
        Assert.Equal(12, check.GetProperty("latency_ms").GetDouble());
        Assert.Equal("[STATUS] (503) == 200", check.GetProperty("message").GetString());
        Assert.NotEqual(JsonValueKind.Null, check.GetProperty("last_checked_at").ValueKind);
    }

    [Fact]
    public async Task Engine_runs_workspace_checks_with_registered_probes_and_exposes_metrics()
    {
        const string yaml = """
            name: Engine
            services:
              - id: backend
                name: Backend
                checks:
                  - id: health
                    interval: 1s
                    http: { url: "http://127.0.0.1:9/health" }
                    conditions: ["[STATUS] == 200"]
                  - id: beat
                    heartbeat: { period: 1h }
            """;
        await using var host = await TestHost.StartAsync(yaml, provider, configure: o => o with
        {
            ConfigureServices = s =>
            {
                s.AddSingleton<ICheckProbe, OkProbe>();
                s.AddSingleton<ICheckEvaluator, StatusEvaluator>();
            },
        });
        var engine = host.App.Services.GetRequiredService<CheckEngineService>();
        Assert.NotNull(engine.Scheduler);
        Assert.Equal(1, engine.Scheduler!.Scheduled);

        Assert.True(await TestHost.EventuallyAsync(async () =>
        {
            var svc = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/services/backend", Ct);
            return svc.GetProperty("checks")[0].GetProperty("status").GetString() == "up";
        }), "the check ran and its state was stored");
        var metrics = await host.Client.GetStringAsync("/metrics", Ct);
        Assert.Contains("vigil_check_runs_total{kind=\"http\",result=\"up\"}", metrics);
        Assert.Contains("vigil_check_duration_seconds_bucket{kind=\"http\"", metrics);
        Assert.Contains("vigil_check_schedule_lag_seconds_count", metrics);
        Assert.Contains("vigil_check_skipped_slots_total", metrics);
    }

    [Fact]
    public async Task Without_probes_the_engine_stays_idle()
    {
        await using var host = await TestHost.StartAsync(db: provider, configure: o => o with { ConfigureServices = s => s.RemoveAll<ICheckProbe>() });
        Assert.Null(host.App.Services.GetRequiredService<CheckEngineService>().Scheduler);
    }

    [Fact]
    public async Task Rollups_count_failures_and_compute_nearest_rank_percentiles_and_rerun_idempotently()
    {
        await using var host = await TestHost.StartAsync(db: provider);
        var sink = host.App.Services.GetRequiredService<ICheckResultSink>();
        // Two hours ago, within the raw results' retention (7 days): the host's own upkeep deletes older results, so a
        // fixed date stopped working once it was a week old (it raced with the first retention pass).
        var now = DateTimeOffset.UtcNow;
        var minute = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 7, 0, TimeSpan.Zero).AddHours(-2);
        // Latencies 1..100 ms, shuffled: p50 = 50, p95 = 95, p99 = 99. Every 10th is down, every 25th degraded.
        foreach (var i in Enumerable.Range(1, 100).OrderBy(i => (i * 37) % 101))
        {
            var status = i % 10 == 0 ? CheckStatus.Down : i % 25 == 1 ? CheckStatus.Degraded : CheckStatus.Up;
            await sink.PublishAsync(Result(status, minute.AddMilliseconds(i * 500), latency: i), Ct);
        }
        await sink.PublishAsync(Result(CheckStatus.Up, minute.AddMinutes(1), latency: 1000), Ct);
        await WaitWritten(host, 101);

        var rollups = host.App.Services.GetRequiredService<CheckRollups>();
        Assert.Equal(2, await rollups.RollupAsync(Granularity.Minute, minute, minute.AddMinutes(2), Ct));
        Assert.Equal(2, await rollups.RollupAsync(Granularity.Minute, minute, minute.AddMinutes(2), Ct));
        Assert.Equal(1, await rollups.RollupAsync(Granularity.Hour, minute, minute.AddHours(1), Ct));

        var factory = host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>();
        await using var db = await factory.CreateDbContextAsync(Ct);
        var m = await db.CheckRollups.SingleAsync(r => r.Granularity == "minute" && r.BucketStart == minute, Ct);
        Assert.Equal((100, 10, 4, 50.0, 95.0, 99.0), (m.Count, m.Failures, m.Degraded, m.LatencyP50, m.LatencyP95, m.LatencyP99));
        Assert.Equal(2, await db.CheckRollups.CountAsync(r => r.Granularity == "minute", Ct));
        var h = await db.CheckRollups.SingleAsync(r => r.Granularity == "hour", Ct);
        Assert.Equal(minute.AddMinutes(-7), h.BucketStart);
        Assert.Equal((101, 10, 51.0, 96.0, 100.0), (h.Count, h.Failures, h.LatencyP50, h.LatencyP95, h.LatencyP99));
    }

    [Fact]
    public async Task Retention_deletes_old_results_and_rollups_in_batches_and_keeps_recent_ones()
    {
        await using var host = await TestHost.StartAsync(db: provider, configure: o => o with { Engine = o.Engine with { RetentionBatchSize = 10, MinuteRollupRetention = TimeSpan.FromDays(30) } });
        var rollups = host.App.Services.GetRequiredService<CheckRollups>();
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(rollups.Passes >= 1)), "the first background pass ran");
        var sink = host.App.Services.GetRequiredService<ICheckResultSink>();
        var now = DateTimeOffset.UtcNow;
        // Each group inside one minute (and hour), so each makes one minute and one hour rollup.
        var old = Hour(now.AddDays(-8)).AddSeconds(10);
        var recent = Hour(now.AddDays(-6)).AddSeconds(10);
        for (var i = 0; i < 25; i++) await sink.PublishAsync(Result(CheckStatus.Up, old.AddSeconds(i)), Ct);
        for (var i = 0; i < 5; i++) await sink.PublishAsync(Result(CheckStatus.Up, recent.AddSeconds(i)), Ct);
        await WaitWritten(host, 30);
        await rollups.RollupAsync(Granularity.Minute, old.AddMinutes(-1), now, Ct);
        await rollups.RollupAsync(Granularity.Hour, old.AddHours(-1), now, Ct);

        var before = rollups.RetentionStatements;
        var (results, deletedRollups) = await rollups.RetentionAsync(now, Ct);
        Assert.Equal(25, results);
        Assert.Equal(0, deletedRollups);
        Assert.True(rollups.RetentionStatements - before >= 3, "25 rows at 10 per statement take three statements");

        var factory = host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>();
        await using var db = await factory.CreateDbContextAsync(Ct);
        Assert.Equal(5, await db.CheckResults.CountAsync(Ct));
        Assert.Equal(4, await db.CheckRollups.CountAsync(Ct));

        // 31 days on, minute rollups are past the 30 days this host keeps them; hours stay for 400.
        (_, deletedRollups) = await rollups.RetentionAsync(now.AddDays(31), Ct);
        Assert.Equal(2, deletedRollups);
        Assert.Equal(["hour", "hour"], await db.CheckRollups.Select(r => r.Granularity).ToListAsync(Ct));
    }

    [Fact]
    public async Task Results_api_returns_raw_results_and_rollups_to_viewers_only()
    {
        await using var host = await TestHost.StartAsync(db: provider);
        var sink = host.App.Services.GetRequiredService<ICheckResultSink>();
        var now = DateTimeOffset.UtcNow;
        var minute = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero).AddMinutes(-5);
        for (var i = 0; i < 4; i++) await sink.PublishAsync(Result(i == 2 ? CheckStatus.Down : CheckStatus.Up, minute.AddSeconds(i * 10), latency: 10 * (i + 1)), Ct);
        await WaitWritten(host, 4);
        await host.App.Services.GetRequiredService<CheckRollups>().RollupAsync(Granularity.Minute, minute, minute.AddMinutes(1), Ct);

        const string url = "/api/v1/services/backend/checks/health/results";
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Client.GetAsync(url, Ct)).StatusCode);
        var (_, token) = await host.CreateTokenAsync("reader", "viewer");
        var viewer = host.ClientWith(token);

        var raw = await viewer.GetFromJsonAsync<JsonElement>(url, Ct);
        Assert.Equal("raw", raw.GetProperty("step").GetString());
        Assert.False(raw.GetProperty("truncated").GetBoolean());
        var items = raw.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([10.0, 20.0, 30.0, 40.0], items.Select(i => i.GetProperty("latency_ms").GetDouble()));
        Assert.Equal("down", items[2].GetProperty("status").GetString());
        Assert.Equal("[STATUS] (503) == 200", items[2].GetProperty("message").GetString());
        Assert.True(items[0].TryGetProperty("at", out _));

        var narrow = await viewer.GetFromJsonAsync<JsonElement>($"{url}?from={Uri.EscapeDataString(minute.AddSeconds(15).ToString("O"))}&to={Uri.EscapeDataString(minute.AddSeconds(25).ToString("O"))}", Ct);
        Assert.Single(narrow.GetProperty("items").EnumerateArray());

        var rolled = await viewer.GetFromJsonAsync<JsonElement>($"{url}?from=1h&step=1m", Ct);
        Assert.Equal("1m", rolled.GetProperty("step").GetString());
        var bucket = Assert.Single(rolled.GetProperty("items").EnumerateArray());
        Assert.Equal(4, bucket.GetProperty("count").GetInt32());
        Assert.Equal(1, bucket.GetProperty("failures").GetInt32());
        Assert.Equal(20, bucket.GetProperty("latency_p50").GetDouble());
        Assert.Equal(40, bucket.GetProperty("latency_p99").GetDouble());
        // Hours come from their own rollups. The background pass may already have rolled this hour up (when the test
        // runs just after an hour began, the results' hour has settled); rolling it up here gives the same row either way.
        var hour = new DateTimeOffset(minute.UtcTicks - minute.UtcTicks % TimeSpan.TicksPerHour, TimeSpan.Zero);
        await host.App.Services.GetRequiredService<CheckRollups>().RollupAsync(Granularity.Hour, hour, hour.AddHours(1), Ct);
        var hourly = Assert.Single((await viewer.GetFromJsonAsync<JsonElement>($"{url}?from=2h&step=1h", Ct)).GetProperty("items").EnumerateArray());
        Assert.Equal((hour, 4, 1, 40.0), (hourly.GetProperty("bucket_start").GetDateTimeOffset(), hourly.GetProperty("count").GetInt32(),
            hourly.GetProperty("failures").GetInt32(), hourly.GetProperty("latency_p99").GetDouble()));

        Assert.Equal(HttpStatusCode.NotFound, (await viewer.GetAsync("/api/v1/services/backend/checks/nope/results", Ct)).StatusCode);
        var missing = await viewer.GetAsync("/api/v1/services/nope/checks/health/results", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.BadRequest, (await viewer.GetAsync($"{url}?from=yesterday", Ct)).StatusCode);
    }

    [Fact]
    public async Task Writer_sustains_well_over_1000_results_per_second()
    {
        await using var host = await TestHost.StartAsync(db: provider);
        var sink = host.App.Services.GetRequiredService<ICheckResultSink>();
        const int n = 20_000;
        var now = DateTimeOffset.UtcNow;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < n; i++) await sink.PublishAsync(Result(i % 7 == 0 ? CheckStatus.Down : CheckStatus.Up, now.AddMilliseconds(i), check: $"c{i % 1000}"), Ct);
        await WaitWritten(host, n);
        var rate = n / watch.Elapsed.TotalSeconds;
        TestContext.Current.SendDiagnosticMessage($"writer: {n} results in {watch.Elapsed.TotalSeconds:F2} s = {rate:F0}/s");
        Console.WriteLine($"writer: {n} results in {watch.Elapsed.TotalSeconds:F2} s = {rate:F0}/s");
        // The goal is 1,000/s; it measures 19,000–34,000/s on SQLite and on PostgreSQL on two shared cores, so this is far
        // from flaky. (PostgreSQL once did a round trip per row and measured 924/s on CI: that is what this catches.)
        Assert.True(rate > 1000, $"{rate:F0} results/s");
    }

    [Fact]
    public async Task Writer_batches_steady_results_and_commits_a_state_change_without_waiting()
    {
        // A long linger makes the difference plain: steady results wait for it, a state change does not.
        await using var host = await TestHost.StartAsync(db: provider, configure: o => o with { Engine = o.Engine with { WriterFlushInterval = TimeSpan.FromSeconds(30) } });
        var sink = host.App.Services.GetRequiredService<ICheckResultSink>();
        var writer = host.App.Services.GetRequiredService<CheckResultWriter>();
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-1);
        var watch = Stopwatch.StartNew();

        await sink.PublishAsync(Result(CheckStatus.Up, t0), Ct); // unknown → up: a change
        await WaitWritten(host, 1);
        for (var i = 1; i <= 20; i++) await sink.PublishAsync(Result(CheckStatus.Up, t0.AddSeconds(i)), Ct);
        await Task.Delay(TimeSpan.FromSeconds(1), Ct);
        Assert.Equal(1, writer.Written); // the twenty steady results are lingering
        await sink.PublishAsync(Result(CheckStatus.Down, t0.AddSeconds(21)), Ct); // up → down: a change
        await WaitWritten(host, 22);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}: a state change waited for the 30 s linger");
        Assert.Equal(2, writer.Commits);
        var factory = host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>();
        await using var ctx = await factory.CreateDbContextAsync(Ct);
        Assert.Equal(22, await ctx.CheckResults.CountAsync(Ct));
        Assert.Equal("down", (await ctx.CheckStates.SingleAsync(Ct)).Status);
    }

    private const string PingedWorkspace = """
        name: pinged
        severities: [{ id: P2, respond_within: 30m, page: false }]
        services:
          - id: jobs
            checks:
              - { id: backup, heartbeat: { period: 1d, key: backup-key-0123456789 }, alert: { severity: P2, after: 1 } }
        """;

    [Fact]
    public async Task A_ping_is_answered_once_its_result_and_the_incident_it_opens_are_committed_without_waiting_for_the_linger()
    {
        // A linger far longer than the test: a steady result would wait for it, unless its sender is waiting.
        await using var host = await TestHost.StartAsync(PingedWorkspace, db: provider,
            configure: o => o with { Engine = o.Engine with { WriterFlushInterval = TimeSpan.FromMinutes(10) } });
        var writer = host.App.Services.GetRequiredService<CheckResultWriter>();
        var factory = host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>();

        using (var first = await host.Client.GetAsync("/ping/backup-key-0123456789", Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        // Steady (up again): answered at once all the same, and on record when answered.
        using (var steady = await host.Client.GetAsync("/ping/backup-key-0123456789", Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct))
            Assert.Equal(HttpStatusCode.OK, steady.StatusCode);
        Assert.Equal(2, writer.Written);
        using (var failed = await host.Client.GetAsync("/ping/backup-key-0123456789/fail", Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct))
            Assert.Equal(HttpStatusCode.OK, failed.StatusCode);

        // No waiting here: the answer came after the commit of the result, its state and its incident.
        await using var db = await factory.CreateDbContextAsync(Ct);
        Assert.Equal(3, await db.CheckResults.CountAsync(r => r.CheckId == "backup", Ct));
        Assert.Equal("down", (await db.CheckStates.SingleAsync(s => s.CheckId == "backup", Ct)).Status);
        var incident = await db.Incidents.SingleAsync(Ct);
        Assert.Equal(("jobs/backup", "triggered"), (incident.DedupKey, incident.Status));
    }

    [Fact]
    public async Task A_ping_whose_result_cannot_be_stored_any_more_gets_a_503_at_once()
    {
        await using var host = await TestHost.StartAsync(PingedWorkspace, db: provider);
        using (var first = await host.Client.GetAsync("/ping/backup-key-0123456789", Ct)) Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        // The check writer stops first (as if it had failed); the ping is recorded, its result cannot be, and the job hears so.
        await host.App.Services.GetRequiredService<CheckResultWriter>().StopAsync(Ct);
        using var r = await host.Client.GetAsync("/ping/backup-key-0123456789/fail", Ct).WaitAsync(TimeSpan.FromSeconds(20), Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
    }

    [Fact]
    public async Task A_late_heartbeat_claimed_just_before_a_crash_is_reported_after_the_restart()
    {
        var dir = Directory.CreateTempSubdirectory("vigil-ws-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "vigil.yaml"), PingedWorkspace, Ct);
        string? database = null;
        Func<ValueTask> drop = () => ValueTask.CompletedTask;
        if (provider == Db.Postgres) (database, drop) = await TestHost.CreatePostgresDatabaseAsync();
        try
        {
            await using (var host = await TestHost.StartAsync(db: provider, workspaceDirectory: dir, database: database))
            {
                // What a crash between the sweep's claim and the commit of its result leaves: the heartbeat down and past
                // its deadline, its check never told. (A sweep does not claim a heartbeat that is down already.)
                await using var db = await host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>().CreateDbContextAsync(Ct);
                Assert.Equal(1, await db.Heartbeats.Where(h => h.CheckId == "backup")
                    .ExecuteUpdateAsync(u => u.SetProperty(h => h.State, "down").SetProperty(h => h.NextDueAt, DateTimeOffset.UtcNow.AddHours(-1)), Ct));
                await Task.Delay(TimeSpan.FromSeconds(1.5), Ct);
                Assert.Empty(await db.Incidents.ToListAsync(Ct));
            }
            await using (var host = await TestHost.StartAsync(db: provider, workspaceDirectory: dir, database: database))
            {
                var factory = host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>();
                Assert.True(await TestHost.EventuallyAsync(async () =>
                {
                    await using var db = await factory.CreateDbContextAsync(Ct);
                    return await db.Incidents.AnyAsync(i => i.DedupKey == "jobs/backup", Ct);
                }), "the late heartbeat opened its incident after the restart");
                await using var check = await factory.CreateDbContextAsync(Ct);
                Assert.Equal("down", (await check.CheckStates.SingleAsync(c => c.CheckId == "backup", Ct)).Status);
                Assert.Equal("down", (await check.Heartbeats.SingleAsync(h => h.CheckId == "backup", Ct)).State);
                Assert.Contains("late", (await check.CheckResults.SingleAsync(r => r.CheckId == "backup", Ct)).Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            await drop();
        }
    }

    [Fact]
    public async Task After_a_restart_rollups_resume_from_the_last_stored_bucket_and_catch_up_each_bucket_once()
    {
        var now = DateTimeOffset.UtcNow;
        var start = Hour(now).AddHours(-3);
        var dir = Directory.CreateTempSubdirectory("vigil-ws-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "vigil.yaml"), TestHost.MinimalWorkspace, Ct);
        string? database = null;
        Func<ValueTask> drop = () => ValueTask.CompletedTask;
        if (provider == Db.Postgres) (database, drop) = await TestHost.CreatePostgresDatabaseAsync();
        try
        {
            // First life: three hours of results (every 30 s, two checks); its rollups reached only the first hour.
            await using (var host = await TestHost.StartAsync(db: provider, workspaceDirectory: dir, database: database))
            {
                var rollups = host.App.Services.GetRequiredService<CheckRollups>();
                Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(rollups.Passes >= 1)), "the first background pass ran");
                var sink = host.App.Services.GetRequiredService<ICheckResultSink>();
                var n = 0;
                for (var t = start; t < now.AddMinutes(-2); t = t.AddSeconds(30))
                {
                    await sink.PublishAsync(Result(CheckStatus.Up, t, latency: 5, check: "a"), Ct);
                    await sink.PublishAsync(Result(CheckStatus.Up, t, latency: 7, check: "b"), Ct);
                    n += 2;
                }
                await WaitWritten(host, n);
                await rollups.RollupAsync(Granularity.Minute, start, start.AddHours(1), Ct);
                await rollups.RollupAsync(Granularity.Hour, start, start.AddHours(1), Ct);
                // Stored after its bucket was rolled up: a resumed pass that re-read the first hour would count it.
                await sink.PublishAsync(Result(CheckStatus.Down, start.AddMinutes(10).AddSeconds(1), latency: 900, check: "a"), Ct);
                await WaitWritten(host, n + 1);
            }

            // Second life: its first pass resumes after the last stored bucket and catches up to now.
            await using (var host = await TestHost.StartAsync(db: provider, workspaceDirectory: dir, database: database))
            {
                var rollups = host.App.Services.GetRequiredService<CheckRollups>();
                Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(rollups.Passes >= 1)), "the first background pass ran");
                var factory = host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>();
                await using var ctx = await factory.CreateDbContextAsync(Ct);
                var minutes = await ctx.CheckRollups.Where(r => r.Granularity == "minute" && r.CheckId == "a").OrderBy(r => r.BucketStart).ToListAsync(Ct);
                var settled = now - rollups.Settle;
                var closed = (int)((new DateTimeOffset(settled.UtcTicks - settled.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero) - start).TotalMinutes);
                // The pass ran a moment after `now`: a minute more may have settled by then.
                Assert.InRange(minutes.Count, closed, closed + 1);
                Assert.Equal(Enumerable.Range(0, minutes.Count).Select(i => start.AddMinutes(i)), minutes.Select(m => m.BucketStart));
                Assert.All(minutes, m => Assert.Equal((2, 0, 5.0), (m.Count, m.Failures, m.LatencyP99)));

                var hours = await ctx.CheckRollups.Where(r => r.Granularity == "hour").OrderBy(r => r.CheckId).ThenBy(r => r.BucketStart).ToListAsync(Ct);
                Assert.True(hours.Count >= 4, $"{hours.Count} hour rollups: the first hour from the first life and at least one more per check");
                Assert.All(hours, h => Assert.Equal(120, h.Count));
                Assert.Equal(start, hours[0].BucketStart);
                Assert.Equal(0, hours[0].Failures);
            }
        }
        finally
        {
            await drop();
        }
    }

    private sealed class OkProbe : ICheckProbe
    {
        public CheckKind Kind => CheckKind.Http;

        public Task<Observation> ProbeAsync(Check check, ProbeContext context, CancellationToken ct) =>
            Task.FromResult(new Observation { Connected = true, Status = 200, ResponseTime = TimeSpan.FromMilliseconds(3) });
    }

    private sealed class StatusEvaluator : ICheckEvaluator
    {
        public CheckOutcome Evaluate(Check check, Observation observation) =>
            observation.Status == 200 ? new CheckOutcome(CheckStatus.Up, "ok", []) : new CheckOutcome(CheckStatus.Down, $"[STATUS] ({observation.Status}) == 200", []);
    }
}

public sealed class SqliteCheckEngineTests() : CheckEngineTests(Db.Sqlite);

public sealed class PostgresCheckEngineTests() : CheckEngineTests(Db.Postgres);

public sealed class RollupMathTests
{
    [Fact]
    public void Percentile_is_nearest_rank()
    {
        double[] sorted = [10, 20, 30, 40];
        Assert.Equal(20, CheckRollups.Percentile(sorted, 50));
        Assert.Equal(40, CheckRollups.Percentile(sorted, 95));
        Assert.Equal(10, CheckRollups.Percentile(sorted, 1));
        Assert.Equal(0, CheckRollups.Percentile([], 50));
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Vigil.Core.Checks;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Heartbeats;
using Vigil.Web.Hosting;
using CheckResult = Vigil.Core.Checks.CheckResult;

namespace Vigil.Web.Tests;

/// <summary>Records every published result, in place of the engine's batching writer.</summary>
public sealed class RecordingSink : ICheckResultSink
{
    public ConcurrentQueue<CheckResult> Results { get; } = new();

    public ValueTask PublishAsync(CheckResult result, CancellationToken ct)
    {
        Results.Enqueue(result);
        return ValueTask.CompletedTask;
    }

    public ValueTask<Task> PublishCommittedAsync(CheckResult result, CancellationToken ct)
    {
        Results.Enqueue(result);
        return ValueTask.FromResult(Task.CompletedTask);
    }

    public List<CheckResult> For(string check) => [.. Results.Where(r => r.CheckId == check)];
}

/// <summary>A real server on loopback with a fake clock and a recording sink.</summary>
public sealed class HeartbeatHost : IAsyncDisposable
{
    public const string Workspace = """
        name: Heartbeats
        timezone: UTC
        services:
          - id: jobs
            name: Jobs
            checks:
              - id: backup
                heartbeat: { period: 1h, grace: 10m }
              - id: nightly
                heartbeat: { schedule: "0 3 * * *", timezone: Europe/Berlin, grace: 30m, key: nightly-key-0123 }
          - id: web
            name: Web
            checks:
              - id: health
                http: { url: "http://127.0.0.1:9/health" }
                conditions: ["[STATUS] == 200"]
        """;

    public static readonly DateTimeOffset Start = new(2026, 1, 10, 8, 0, 0, TimeSpan.Zero);

    private HeartbeatHost(WebApplication app, string dir, FakeTimeProvider time, RecordingSink sink)
    {
        App = app;
        Directory = dir;
        Time = time;
        Sink = sink;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Client = new HttpClient { BaseAddress = new Uri(address) };
    }

    public WebApplication App { get; }
    public string Directory { get; }
    public FakeTimeProvider Time { get; }
    public RecordingSink Sink { get; }
    public HttpClient Client { get; }

    public static async Task<HeartbeatHost> StartAsync(string yaml = Workspace, string? dir = null, FakeTimeProvider? time = null)
    {
        if (dir is null)
        {
            dir = System.IO.Directory.CreateTempSubdirectory("vigil-hb-").FullName;
            await File.WriteAllTextAsync(Path.Combine(dir, "vigil.yaml"), yaml);
        }
        time ??= new FakeTimeProvider(Start);
        var sink = new RecordingSink();
        var app = VigilHost.Build(new VigilHostOptions
        {
            WorkspaceDirectory = dir,
            Urls = "http://127.0.0.1:0",
            Environment = name => name == "VIGIL_BOOTSTRAP_TOKEN" ? TestHost.BootstrapToken : null,
            Time = time,
            ConfigureServices = s => s.AddSingleton<ICheckResultSink>(sink),
        });
        await VigilHost.PrepareAsync(app);
        await app.StartAsync();
        return new HeartbeatHost(app, dir, time, sink);
    }

    public HeartbeatService Heartbeats => App.Services.GetRequiredService<HeartbeatService>();

    public async Task<Heartbeat> RowAsync(string check)
    {
        await using var db = await App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>().CreateDbContextAsync();
        return await db.Heartbeats.AsNoTracking().SingleAsync(h => h.CheckId == check);
    }

    public async Task<List<HeartbeatPing>> PingsAsync(string key)
    {
        await using var db = await App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>().CreateDbContextAsync();
        return await db.HeartbeatPings.AsNoTracking().Where(p => p.Key == key).OrderBy(p => p.Id).ToListAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

public sealed class HeartbeatTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<HttpStatusCode> GetAsync(HeartbeatHost host, string path)
    {
        using var r = await host.Client.GetAsync(path, Ct);
        return r.StatusCode;
    }

    [Fact]
    public async Task A_period_heartbeat_goes_down_only_after_grace_and_up_again_on_the_next_ping()
    {
        await using var host = await HeartbeatHost.StartAsync();
        var key = (await host.RowAsync("backup")).Key;

        Assert.Equal(HttpStatusCode.OK, await GetAsync(host, $"/ping/{key}"));
        var up = Assert.Single(host.Sink.For("backup"));
        Assert.Equal(CheckStatus.Up, up.Status);
        Assert.Equal(CheckKind.Heartbeat, up.Kind);
        Assert.Equal(HeartbeatHost.Start.AddHours(1).AddMinutes(10), (await host.RowAsync("backup")).NextDueAt);

        // On time within grace: nothing happens.
        host.Time.Advance(TimeSpan.FromMinutes(69));
        Assert.Equal(0, await host.Heartbeats.SweepAsync(Ct));
        Assert.Single(host.Sink.For("backup"));

        // Past grace: down, once, with a message that says what was expected.
        host.Time.Advance(TimeSpan.FromMinutes(2));
        await host.Heartbeats.SweepAsync(Ct);
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(host.Sink.For("backup").Count == 2)));
        var late = host.Sink.For("backup")[1];
        Assert.Equal(CheckStatus.Down, late.Status);
        Assert.Equal("late: expected a ping by 2026-01-10 09:00:00Z, last ping 2026-01-10 08:00:00Z", late.Message);
        Assert.Equal("down", (await host.RowAsync("backup")).State);
        host.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0, await host.Heartbeats.SweepAsync(Ct));
        Assert.Equal(2, host.Sink.For("backup").Count);

        // The next ping brings it back up and moves the deadline.
        Assert.Equal(HttpStatusCode.OK, await GetAsync(host, $"/ping/{key}"));
        Assert.Equal(CheckStatus.Up, host.Sink.For("backup")[2].Status);
        var row = await host.RowAsync("backup");
        Assert.Equal("up", row.State);
        Assert.Equal(host.Time.GetUtcNow().AddHours(1).AddMinutes(10), row.NextDueAt);
    }

    [Fact]
    public async Task A_heartbeat_that_never_pings_goes_late_from_when_Vigil_started_watching()
    {
        await using var host = await HeartbeatHost.StartAsync();
        host.Time.Advance(TimeSpan.FromMinutes(71));
        await host.Heartbeats.SweepAsync(Ct);
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(host.Sink.For("backup").Count == 1)));
        Assert.EndsWith("last ping never", host.Sink.For("backup")[0].Message);
        // The cron heartbeat (03:00 Berlin = 02:00Z, + 30m) is not due yet.
        Assert.Empty(host.Sink.For("nightly"));
        Assert.Equal(new DateTimeOffset(2026, 1, 11, 2, 30, 0, TimeSpan.Zero), (await host.RowAsync("nightly")).NextDueAt);
    }

    [Fact]
    public async Task Start_then_ping_measures_the_run()
    {
        await using var host = await HeartbeatHost.StartAsync();
        using (var start = await host.Client.PostAsync("/ping/nightly-key-0123/start", null, Ct)) Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        Assert.Empty(host.Sink.For("nightly"));
        host.Time.Advance(TimeSpan.FromSeconds(90));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(host, "/ping/nightly-key-0123"));
        var result = Assert.Single(host.Sink.For("nightly"));
        Assert.Equal(CheckStatus.Up, result.Status);
        Assert.Equal(90_000, result.LatencyMs);
        Assert.Equal("ping received after a run of 90s", result.Message);
        var pings = await host.PingsAsync("nightly-key-0123");
        Assert.Equal(["start", "success"], pings.Select(p => p.Kind));
        Assert.Equal(90_000, pings[1].DurationMs);
        Assert.Equal("127.0.0.1", pings[1].RemoteAddress);
    }

    [Fact]
    public async Task Fail_and_exit_codes_report_the_job_down_or_up()
    {
        await using var host = await HeartbeatHost.StartAsync();
        Assert.Equal(HttpStatusCode.OK, await GetAsync(host, "/ping/nightly-key-0123/fail"));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(host, "/ping/nightly-key-0123/0"));
        using (var r = await host.Client.PostAsync("/ping/nightly-key-0123/3", new StringContent("disk full"), Ct)) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var results = host.Sink.For("nightly");
        Assert.Equal([CheckStatus.Down, CheckStatus.Up, CheckStatus.Down], results.Select(r => r.Status));
        Assert.Equal("the job reported failure", results[0].Message);
        Assert.Equal("the job exited with code 0", results[1].Message);
        Assert.Equal("the job exited with code 3", results[2].Message);
        Assert.Equal(3, results[2].Value);
        Assert.Equal("down", (await host.RowAsync("nightly")).State);
        var pings = await host.PingsAsync("nightly-key-0123");
        Assert.Equal([null, 0, 3], pings.Select(p => p.ExitCode));
        Assert.Equal("disk full", pings[2].Body);

        Assert.Equal(HttpStatusCode.NotFound, await GetAsync(host, "/ping/nightly-key-0123/256"));
        Assert.Equal(HttpStatusCode.NotFound, await GetAsync(host, "/ping/nightly-key-0123/-1"));
        Assert.Equal(HttpStatusCode.NotFound, await GetAsync(host, "/ping/nightly-key-0123/restart"));
        Assert.Equal(3, host.Sink.For("nightly").Count);
    }

    [Fact]
    public async Task A_body_is_kept_up_to_10_KB_and_a_bigger_one_is_cut_not_refused()
    {
        await using var host = await HeartbeatHost.StartAsync();
        var big = new string('x', 30_000);
        using (var r = await host.Client.PostAsync("/ping/nightly-key-0123", new StringContent(big), Ct)) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var ping = Assert.Single(await host.PingsAsync("nightly-key-0123"));
        Assert.Equal(HeartbeatService.MaxBodyBytes, ping.Body!.Length);
        Assert.Single(host.Sink.For("nightly"));
    }

    [Fact]
    public async Task The_ping_history_is_bounded_per_heartbeat()
    {
        await using var host = await HeartbeatHost.StartAsync();
        for (var i = 0; i < HeartbeatService.PingsKept + 5; i++)
        {
            using var r = await host.Client.PostAsync("/ping/nightly-key-0123", new StringContent($"run {i}"), Ct);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        var pings = await host.PingsAsync("nightly-key-0123");
        Assert.Equal(HeartbeatService.PingsKept, pings.Count);
        Assert.Equal("run 5", pings[0].Body);
    }

    [Fact]
    public async Task Pings_that_queue_up_are_recorded_together_in_the_order_they_came()
    {
        await using var host = await HeartbeatHost.StartAsync();
        var backup = (await host.RowAsync("backup")).Key;
        var before = host.Heartbeats.Commits;
        var factory = host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>();
        var pings = new List<Task<PingOutcome?>>();
        await using (var locker = await factory.CreateDbContextAsync(Ct))
        {
            // Another connection holds SQLite's write lock while the pings queue up behind it.
            await locker.Database.OpenConnectionAsync(Ct);
            await using var hold = await locker.Database.BeginTransactionAsync(Ct);
            await locker.Database.ExecuteSqlRawAsync("DELETE FROM heartbeat_pings WHERE id < 0", Ct);
            pings.Add(host.Heartbeats.PingAsync("nightly-key-0123", PingKind.Start, null, null, "192.0.2.1", Ct));
            for (var i = 0; i < HeartbeatService.PingsKept + 10; i++) pings.Add(host.Heartbeats.PingAsync(backup, PingKind.Success, null, $"run {i}", null, Ct));
            pings.Add(host.Heartbeats.PingAsync("nightly-key-0123", PingKind.Exit, 4, null, "192.0.2.1", Ct));
            pings.Add(host.Heartbeats.PingAsync("no-such-key", PingKind.Success, null, null, null, Ct));
            await Task.Delay(300, Ct);
            Assert.All(pings, p => Assert.False(p.IsCompleted, "answered before its commit"));
            await hold.RollbackAsync(Ct);
        }
        var outcomes = await Task.WhenAll(pings);

        Assert.Null(outcomes[^1]); // an unknown key, in the same batch as the others
        Assert.All(outcomes[..^1], o => Assert.NotNull(o));
        Assert.True(host.Heartbeats.Commits - before <= 3, $"{pings.Count} pings took {host.Heartbeats.Commits - before} transactions");
        // The history bound holds within a batch, and the newest pings are the ones kept.
        var kept = await host.PingsAsync(backup);
        Assert.Equal(HeartbeatService.PingsKept, kept.Count);
        Assert.Equal(("run 10", $"run {HeartbeatService.PingsKept + 9}"), (kept[0].Body, kept[^1].Body));
        // The exit after the start, in the same batch, ends the run the start began.
        Assert.Equal(["start", "exit"], (await host.PingsAsync("nightly-key-0123")).Select(p => p.Kind));
        var nightly = Assert.Single(host.Sink.For("nightly"));
        Assert.Equal((CheckStatus.Down, 4), (nightly.Status, (int?)nightly.Value));
        Assert.Equal("down", (await host.RowAsync("nightly")).State);
        Assert.Equal(HeartbeatService.PingsKept + 10, host.Sink.For("backup").Count);
    }

    [Fact]
    public async Task On_PostgreSQL_pings_sent_together_are_all_stored_and_the_history_stays_bounded()
    {
        await using var host = await TestHost.StartAsync(HeartbeatHost.Workspace, Db.Postgres);
        var answers = await Task.WhenAll(Enumerable.Range(0, HeartbeatService.PingsKept + 20).Select(async i =>
        {
            using var r = await host.Client.PostAsync("/ping/nightly-key-0123", new StringContent($"run {i}"), Ct);
            return r.StatusCode;
        }));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a));
        await using var db = await host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>().CreateDbContextAsync(Ct);
        Assert.Equal(HeartbeatService.PingsKept, await db.HeartbeatPings.CountAsync(p => p.Key == "nightly-key-0123", Ct));
        var row = await db.Heartbeats.AsNoTracking().SingleAsync(h => h.Key == "nightly-key-0123", Ct);
        Assert.Equal(("up", "success"), (row.State, row.LastStatus));
    }

    [Fact]
    public async Task A_ping_the_database_refuses_fails_alone_and_the_rest_of_its_batch_is_stored()
    {
        await using var host = await HeartbeatHost.StartAsync();
        var backup = (await host.RowAsync("backup")).Key;
        var factory = host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>();
        await using (var db = await factory.CreateDbContextAsync(Ct))
        {
            await db.Database.ExecuteSqlRawAsync(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON heartbeat_pings WHEN NEW.body = 'poison' BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END", Ct);
        }
        var pings = new List<Task<PingOutcome?>>();
        await using (var locker = await factory.CreateDbContextAsync(Ct))
        {
            // Held so that the three queue up and are stored as one batch.
            await locker.Database.OpenConnectionAsync(Ct);
            await using var hold = await locker.Database.BeginTransactionAsync(Ct);
            await locker.Database.ExecuteSqlRawAsync("DELETE FROM heartbeat_pings WHERE id < 0", Ct);
            pings.Add(host.Heartbeats.PingAsync(backup, PingKind.Success, null, "first", null, Ct));
            pings.Add(host.Heartbeats.PingAsync("nightly-key-0123", PingKind.Fail, null, "poison", null, Ct));
            pings.Add(host.Heartbeats.PingAsync(backup, PingKind.Success, null, "third", null, Ct));
            await Task.Delay(200, Ct);
            await hold.RollbackAsync(Ct);
        }
        Assert.NotNull(await pings[0]);
        Assert.Contains("refused by a test trigger", (await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => pings[1])).Message, StringComparison.Ordinal);
        Assert.NotNull(await pings[2]);
        Assert.Equal(["first", "third"], (await host.PingsAsync(backup)).Select(p => p.Body));
        Assert.Empty(await host.PingsAsync("nightly-key-0123"));
        Assert.Equal(2, host.Sink.For("backup").Count);
        Assert.Empty(host.Sink.For("nightly"));
        Assert.Equal("new", (await host.RowAsync("nightly")).State);
    }

    [Fact]
    public async Task A_ping_after_its_writer_stopped_gets_a_503_at_once_instead_of_waiting()
    {
        await using var host = await HeartbeatHost.StartAsync();
        Assert.Equal(HttpStatusCode.OK, await GetAsync(host, "/ping/nightly-key-0123"));
        // What a shutdown does first (hosted services stop before the server stops taking requests).
        await host.Heartbeats.StopAsync(Ct);
        using var r = await host.Client.GetAsync("/ping/nightly-key-0123", Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
        Assert.Single(await host.PingsAsync("nightly-key-0123"));
    }

    [Fact]
    public async Task Pings_past_the_per_address_limit_get_429_with_retry_after_until_the_next_minute()
    {
        await using var host = await HeartbeatHost.StartAsync();
        host.Time.Advance(TimeSpan.FromSeconds(15)); // mid-minute: the window still ends on the minute
        var ok = 0;
        for (var i = 0; i < HeartbeatsApi.PingsPerMinute; i++)
        {
            // Unknown keys count too: the limit is on the address, before any lookup.
            if (await GetAsync(host, "/ping/no-such-key-000000") == HttpStatusCode.NotFound) ok++;
        }
        Assert.Equal(HeartbeatsApi.PingsPerMinute, ok);

        using var limited = await host.Client.GetAsync("/ping/nightly-key-0123", Ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(45), limited.Headers.RetryAfter?.Delta);
        Assert.Contains("Retry", await limited.Content.ReadAsStringAsync(Ct));
        Assert.Empty(await host.PingsAsync("nightly-key-0123"));

        host.Time.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(HttpStatusCode.OK, await GetAsync(host, "/ping/nightly-key-0123"));
    }

    [Fact]
    public void The_window_limiter_counts_per_key_and_forgets_keys_of_past_windows()
    {
        var time = new FakeTimeProvider(HeartbeatHost.Start);
        var limiter = new Vigil.Web.Http.WindowLimiter(2, TimeSpan.FromMinutes(1), time);
        Assert.True(limiter.TryAcquire("a", out _));
        Assert.True(limiter.TryAcquire("a", out _));
        Assert.False(limiter.TryAcquire("a", out var retry));
        Assert.Equal(TimeSpan.FromMinutes(1), retry);
        Assert.True(limiter.TryAcquire("b", out _));
        Assert.Equal(2, limiter.Keys);

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(limiter.TryAcquire("c", out _));
        Assert.Equal(1, limiter.Keys); // a and b belonged to the past window
        Assert.True(limiter.TryAcquire("a", out _));
    }

    [Fact]
    public async Task An_unknown_key_is_a_small_plain_404_and_writes_nothing()
    {
        await using var host = await HeartbeatHost.StartAsync();
        using var r = await host.Client.PostAsync("/ping/no-such-key-000000", new StringContent("hello"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("text/plain", r.Content.Headers.ContentType?.MediaType);
        Assert.True((await r.Content.ReadAsStringAsync(Ct)).Length < 20);
        Assert.Empty(host.Sink.Results);
        Assert.Empty(await host.PingsAsync("no-such-key-000000"));
    }

    [Fact]
    public async Task The_ping_url_is_shown_to_admins_only()
    {
        await using var host = await HeartbeatHost.StartAsync();
        var key = (await host.RowAsync("backup")).Key;
        Assert.Matches("^[A-Za-z0-9_-]{16,}$", key);

        async Task<JsonElement> ChecksAs(string token)
        {
            using var c = new HttpClient { BaseAddress = host.Client.BaseAddress };
            c.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            var json = await c.GetStringAsync("/api/v1/services/jobs", Ct);
            return JsonDocument.Parse(json).RootElement.GetProperty("checks");
        }

        var admin = await ChecksAs(TestHost.BootstrapToken);
        var baseUrl = host.Client.BaseAddress!.ToString().TrimEnd('/');
        Assert.Equal($"{baseUrl}/ping/{key}", admin[0].GetProperty("ping_url").GetString());
        Assert.Equal($"{baseUrl}/ping/nightly-key-0123", admin[1].GetProperty("ping_url").GetString());

        var store = host.App.Services.GetRequiredService<Vigil.Web.Security.TokenStore>();
        foreach (var role in new[] { Role.Viewer, Role.Responder })
        {
            var token = await store.CreateAsync(role.ToString(), role, "test", ct: Ct);
            var checks = await ChecksAs(token.Token);
            Assert.Equal(JsonValueKind.Null, checks[0].GetProperty("ping_url").ValueKind);
            Assert.Equal(JsonValueKind.Null, checks[1].GetProperty("ping_url").ValueKind);
        }
        var web = JsonDocument.Parse(await host.ClientWithToken().GetStringAsync("/api/v1/services/web", Ct)).RootElement;
        Assert.Equal(JsonValueKind.Null, web.GetProperty("checks")[0].GetProperty("ping_url").ValueKind);
    }

    [Fact]
    public async Task A_heartbeat_added_by_a_reload_is_watched_by_the_monitor_without_a_restart()
    {
        // The same workspace with the jobs service (its two heartbeats) cut out.
        var full = HeartbeatHost.Workspace;
        var withoutHeartbeats = full[..full.IndexOf("  - id: jobs", StringComparison.Ordinal)] + full[full.IndexOf("  - id: web", StringComparison.Ordinal)..];
        await using var host = await HeartbeatHost.StartAsync(withoutHeartbeats);
        // Nothing to watch: the monitor sleeps until a reload, whatever the clock does.
        host.Time.Advance(TimeSpan.FromMinutes(5));
        await File.WriteAllTextAsync(Path.Combine(host.Directory, "vigil.yaml"), HeartbeatHost.Workspace, Ct);
        Assert.Empty(host.App.Services.GetRequiredService<Vigil.Web.Workspace.WorkspaceReloader>().Reload());
        Assert.True(await TestHost.EventuallyAsync(async () =>
        {
            await using var db = await host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>().CreateDbContextAsync(Ct);
            return await db.Heartbeats.AnyAsync(h => h.CheckId == "backup" && h.NextDueAt != null, Ct);
        }));
        // Past the period and grace; the monitor's own loop (the test never sweeps) finds the job late. The clock keeps
        // moving a second at a time in case the loop armed its next sweep only after the jump.
        host.Time.Advance(TimeSpan.FromMinutes(71));
        Assert.True(await TestHost.EventuallyAsync(() =>
        {
            host.Time.Advance(TimeSpan.FromSeconds(1));
            return Task.FromResult(host.Sink.For("backup").Count == 1);
        }));
        Assert.Equal(CheckStatus.Down, host.Sink.For("backup")[0].Status);
    }

    [Fact]
    public async Task Generated_keys_survive_a_restart_and_follow_the_workspace()
    {
        string dir;
        string key;
        var time = new FakeTimeProvider(HeartbeatHost.Start);
        await using (var first = await HeartbeatHost.StartAsync(time: time))
        {
            dir = first.Directory;
            key = (await first.RowAsync("backup")).Key;
            Assert.Equal(HttpStatusCode.OK, await GetAsync(first, $"/ping/{key}"));
        }
        await using var second = await HeartbeatHost.StartAsync(dir: dir, time: time);
        var row = await second.RowAsync("backup");
        Assert.Equal(key, row.Key);
        Assert.Equal("up", row.State);
        Assert.Equal(HttpStatusCode.OK, await GetAsync(second, $"/ping/{key}"));

        // A reload that names a new key for the nightly job retires the old one and keeps its history.
        Assert.Equal(HttpStatusCode.OK, await GetAsync(second, "/ping/nightly-key-0123"));
        await File.WriteAllTextAsync(Path.Combine(dir, "vigil.yaml"), HeartbeatHost.Workspace.Replace("nightly-key-0123", "nightly-key-4567", StringComparison.Ordinal), Ct);
        Assert.Empty(second.App.Services.GetRequiredService<Vigil.Web.Workspace.WorkspaceReloader>().Reload());
        Assert.True(await TestHost.EventuallyAsync(async () => (await second.RowAsync("nightly")).Key == "nightly-key-4567"));
        Assert.Equal(HttpStatusCode.NotFound, await GetAsync(second, "/ping/nightly-key-0123"));
        Assert.Single(await second.PingsAsync("nightly-key-4567"));
        Assert.Equal(key, (await second.RowAsync("backup")).Key);
    }
}

internal static class HeartbeatHostExtensions
{
    public static HttpClient ClientWithToken(this HeartbeatHost host)
    {
        var c = new HttpClient { BaseAddress = host.Client.BaseAddress };
        c.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestHost.BootstrapToken);
        return c;
    }
}

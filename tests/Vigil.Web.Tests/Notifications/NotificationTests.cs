using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Vigil.Storage;
using Vigil.Web.Notifications;

namespace Vigil.Web.Tests.Notifications;

/// <summary>A real HTTP receiver on loopback that records what it gets and can fail the first requests.</summary>
internal sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication app;
    private int failuresLeft;
    private long delayNextTicks;

    public ConcurrentQueue<(string Path, Dictionary<string, string> Headers, byte[] Body)> Requests { get; } = new();

    public string Url { get; }

    private Receiver(WebApplication app, string url)
    {
        this.app = app;
        Url = url;
    }

    public void FailNext(int count) => failuresLeft = count;

    /// <summary>The next request is answered only after <paramref name="delay"/> (a slow receiver).</summary>
    public void DelayNext(TimeSpan delay) => Interlocked.Exchange(ref delayNextTicks, delay.Ticks);

    public static async Task<Receiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        Receiver? self = null;
        app.Run(async http =>
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            if (http.Request.Path.StartsWithSegments("/gone"))
            {
                http.Response.StatusCode = 410;
                return;
            }
            if (Interlocked.Exchange(ref self!.delayNextTicks, 0) is var delay and > 0) await Task.Delay(TimeSpan.FromTicks(delay));
            if (Interlocked.Decrement(ref self.failuresLeft) >= 0)
            {
                http.Response.StatusCode = 503;
                return;
            }
            self.Requests.Enqueue((http.Request.Path.Value!, http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body.ToArray()));
            http.Response.StatusCode = 204;
        });
        await app.StartAsync();
        self = new Receiver(app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return self;
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}

public abstract class NotificationTests(Db provider)
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string Secret = "hook-signing-secret-0123456789";

    private protected static string Workspace(Receiver r, string smtp = "smtp://127.0.0.1:9") => $$"""
        name: Notification Test
        severities: [{ id: P1, name: Critical, respond_within: 15m, page: true }]
        channels:
          - { id: hook, type: webhook, url: "{{r.Url}}/hook", secret: "{{Secret}}", headers: { X-Team: ops } }
          - { id: chat, type: slack, url: "{{r.Url}}/slack", events: [triggered] }
          - { id: log, type: jsonl, path: logs/alerts.jsonl }
          - { id: mail, type: email, smtp: "{{smtp}}", from: vigil@example.com, to: [oncall@example.com] }
        services:
          - { id: backend, name: Backend API, notify: [hook, chat, log] }
          - { id: mailed, notify: [mail] }
          - { id: quiet }
        """;

    protected static async Task<long> OpenAsync(TestHost host, string service = "backend", string title = "Backend is down")
    {
        var created = await host.Admin.PostAsJsonAsync("/api/v1/incidents", new { title, severity = "P1", service }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
    }

    private static async Task<List<OutboxMessage>> OutboxAsync(TestHost host)
    {
        await using var db = await host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>().CreateDbContextAsync(Ct);
        return await db.Outbox.AsNoTracking().OrderBy(o => o.Id).ToListAsync(Ct);
    }

    private static async Task<List<string>> TimelineAsync(TestHost host, long id) =>
        [.. (await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{id}/timeline?limit=100", Ct)).GetProperty("items").EnumerateArray()
            .Where(e => e.GetProperty("kind").GetString() == "notification").Select(e => e.GetProperty("text").GetString()!)];

    [Fact]
    public async Task An_incident_notifies_its_services_channels_of_trigger_acknowledge_and_resolve_each_once_signed_and_on_the_timeline()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var host = await TestHost.StartAsync(Workspace(receiver), provider);
        var id = await OpenAsync(host);
        await OpenAsync(host, "quiet", "Nobody is told of this one");
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(receiver.Requests.Count == 2)), "the webhook and the slack channel got the trigger");

        Assert.Equal(HttpStatusCode.OK, (await host.Admin.PostAsync($"/api/v1/incidents/{id}/acknowledge", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Admin.PostAsync($"/api/v1/incidents/{id}/resolve", null, Ct)).StatusCode);
        // The slack channel takes only `triggered`: two more requests, both to the webhook.
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(receiver.Requests.Count == 4)), "acknowledge and resolve reached the webhook");
        await Task.Delay(300, Ct);
        Assert.Equal(4, receiver.Requests.Count);

        var hook = receiver.Requests.Where(r => r.Path == "/hook").ToList();
        Assert.Equal(["triggered", "acknowledged", "resolved"], hook.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("event").GetString()));
        foreach (var (_, headers, body) in hook)
        {
            Assert.Equal(ChannelSenders.Signature(Secret, body), headers[ChannelSenders.SignatureHeader]);
            Assert.Equal("ops", headers["X-Team"]);
            Assert.StartsWith($"incident:{id}:", headers[ChannelSenders.EventHeader], StringComparison.Ordinal);
        }
        var first = JsonDocument.Parse(hook[0].Body).RootElement;
        Assert.Equal((id, "Backend is down", "P1", "backend"), (first.GetProperty("incident").GetProperty("id").GetInt64(), first.GetProperty("incident").GetProperty("title").GetString(),
            first.GetProperty("incident").GetProperty("severity").GetString(), first.GetProperty("incident").GetProperty("service").GetString()));
        var slack = JsonDocument.Parse(receiver.Requests.Single(r => r.Path == "/slack").Body).RootElement;
        var slackText = slack.GetProperty("text").GetString()!.Split('\n');
        Assert.Equal($"[P1] Triggered: Backend is down (backend) — incident {id}", slackText[0]);
        Assert.Matches(@"^<http://127\.0\.0\.1:\d+/api/v1/incidents/\d+\|Open> · <http://[^|]+/a/v1\.[^|]+\|Acknowledge> · <http://[^|]+/a/v1\.[^|]+\|Resolve>$", slackText[1]);

        var lines = await File.ReadAllLinesAsync(Path.Combine(host.WorkspaceDirectory, "logs", "alerts.jsonl"), Ct);
        Assert.Equal(["triggered", "acknowledged", "resolved"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("event").GetString()));

        // An outcome is recorded just after its request was answered: the timeline catches up a moment later.
        Assert.True(await TestHost.EventuallyAsync(async () => (await TimelineAsync(host, id)).Count == 7), "every delivery is on the timeline"); // hook ×3, log ×3, chat ×1
        var timeline = await TimelineAsync(host, id);
        Assert.Equal(7, timeline.Count);
        Assert.All(timeline, t => Assert.StartsWith("Notified ", t, StringComparison.Ordinal));
        Assert.Contains("Notified hook (webhook): incident.acknowledged", timeline);
        Assert.All(await OutboxAsync(host), o => Assert.Equal((Outbox.Sent, 1), (o.State, o.Attempts)));

        var channels = (await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/channels", Ct)).GetProperty("items").EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!);
        Assert.Equal((3, false), (channels["hook"].GetProperty("sent").GetInt32(), channels["hook"].GetProperty("failing").GetBoolean()));
        Assert.DoesNotContain(receiver.Url, channels["hook"].ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, channels["hook"].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_notification_handed_over_at_commit_is_sent_while_another_connection_holds_the_databases_write_lock()
    {
        // What the check and inbound writers do: the unit of work queues a notification and claims it for the dispatcher
        // before its commit, so sending it needs no write of its own. A burst of new incidents keeps the write lock busy,
        // batch after batch; a send that had to claim its row first waited behind every one of them.
        await using var receiver = await Receiver.StartAsync();
        await using var host = await TestHost.StartAsync(Workspace(receiver).Replace("notify: [hook, chat, log]", "notify: [hook]", StringComparison.Ordinal), provider);
        var id = await OpenAsync(host);
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(receiver.Requests.Count == 1)), "the trigger reached the webhook");
        var factory = host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>();
        var paging = host.App.Services.GetRequiredService<Paging>();
        Handoff handoff;
        await using (var db = await factory.CreateDbContextAsync(Ct))
        {
            await using var tx = await db.Database.BeginTransactionAsync(Ct);
            var incident = await db.Incidents.SingleAsync(i => i.Id == id, Ct);
            paging.ClaimOnSave(db);
            Assert.True(Outbox.Add(db, incident, "hook", "escalated", $"incident:{id}:escalated:1:channel:hook", DateTimeOffset.UtcNow));
            await db.SaveChangesAsync(Ct);
            handoff = Paging.Collect(db);
            await tx.CommitAsync(Ct);
        }
        var row = Assert.Single(handoff.Rows);
        Assert.Equal((Outbox.Sending, handoff.Claim!.Name), ((await OutboxAsync(host)).Single(o => o.Id == row.Id) is var stored ? (stored.State, stored.ClaimedBy) : default));

        await using (var locker = await factory.CreateDbContextAsync(Ct))
        {
            await locker.Database.OpenConnectionAsync(Ct);
            await using var hold = await locker.Database.BeginTransactionAsync(Ct);
            // SQLite: a write takes the database's one write lock until the transaction ends; PostgreSQL: the outbox locked against writes.
            await locker.Database.ExecuteSqlRawAsync(provider == Db.Sqlite ? "DELETE FROM outbox WHERE id < 0" : "LOCK TABLE outbox IN EXCLUSIVE MODE", Ct);
            var watch = Stopwatch.StartNew();
            paging.Committed(handoff);
            Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(receiver.Requests.Count == 2), TimeSpan.FromSeconds(3)),
                "the handed-over notification went out while the lock was held");
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"sent after {watch.Elapsed}");
            await Task.Delay(300, Ct);
            await hold.RollbackAsync(Ct);
        }
        Assert.Equal("escalated", JsonDocument.Parse(receiver.Requests.Last().Body).RootElement.GetProperty("event").GetString());
        // The outcome waited for the lock, and is recorded once it is free.
        Assert.True(await TestHost.EventuallyAsync(async () => (await OutboxAsync(host)).Single(o => o.Id == row.Id).State == Outbox.Sent), "the outcome was recorded");
        Assert.Equal(2, receiver.Requests.Count);
    }

    [Fact]
    public async Task A_slow_receiver_still_hears_of_an_incident_in_the_order_things_happened()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var host = await TestHost.StartAsync(Workspace(receiver).Replace("notify: [hook, chat, log]", "notify: [hook]", StringComparison.Ordinal), provider);
        var id = await OpenAsync(host);
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(receiver.Requests.Count == 1)), "the trigger reached the webhook");

        // The acknowledgement's delivery hangs for a while; the resolution, queued just after it, must not overtake it.
        receiver.DelayNext(TimeSpan.FromMilliseconds(800));
        Assert.Equal(HttpStatusCode.OK, (await host.Admin.PostAsync($"/api/v1/incidents/{id}/acknowledge", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await host.Admin.PostAsync($"/api/v1/incidents/{id}/resolve", null, Ct)).StatusCode);
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(receiver.Requests.Count == 3)), "acknowledge and resolve reached the webhook");
        Assert.Equal(["triggered", "acknowledged", "resolved"],
            receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("event").GetString()));
    }

    [Fact]
    public async Task A_notifications_one_click_links_acknowledge_and_resolve_only_after_a_confirming_post_and_are_audited()
    {
        await using var receiver = await Receiver.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await TestHost.StartAsync(Workspace(receiver).Replace("notify: [hook, chat, log]", "notify: [hook]", StringComparison.Ordinal), provider,
            configure: o => o with { Time = time });
        var id = await OpenAsync(host);
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(receiver.Requests.Count == 1)), "notified");
        var links = JsonDocument.Parse(receiver.Requests.Single().Body).RootElement.GetProperty("links");
        var ack = new Uri(links.GetProperty("acknowledge").GetString()!);
        var resolve = new Uri(links.GetProperty("resolve").GetString()!);
        Assert.Equal(host.Client.BaseAddress!.Authority, ack.Authority);
        Assert.EndsWith($"/api/v1/incidents/{id}", links.GetProperty("incident").GetString(), StringComparison.Ordinal);

        // Opening the link (a mail scanner does) changes nothing: it shows what the button will do.
        var page = await host.Client.GetAsync(ack.PathAndQuery, Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.Contains($"Acknowledge incident {id}?", html, StringComparison.Ordinal);
        Assert.Contains("<form method=\"post\">", html, StringComparison.Ordinal);
        Assert.Equal("triggered", await StatusAsync(host, id));

        // A token altered to another action or incident is refused, and nothing changes.
        var parts = ack.AbsolutePath["/a/".Length..].Split('.');
        var forged = $"/a/v1.{System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1])).Replace("|acknowledge|", "|resolve|", StringComparison.Ordinal)))}.{parts[2]}";
        Assert.Equal(HttpStatusCode.BadRequest, (await host.Client.PostAsync(forged, null, Ct)).StatusCode);
        Assert.Equal("triggered", await StatusAsync(host, id));

        Assert.Equal(HttpStatusCode.OK, (await host.Client.PostAsync(ack.PathAndQuery, null, Ct)).StatusCode);
        Assert.Equal("acknowledged", await StatusAsync(host, id));
        // The acknowledge notification carries a resolve link only; an expired link is refused.
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(receiver.Requests.Count == 2)), "told of the acknowledgement");
        var second = JsonDocument.Parse(receiver.Requests.Last().Body).RootElement.GetProperty("links");
        Assert.Equal(JsonValueKind.Null, second.GetProperty("acknowledge").ValueKind);
        time.Advance(TimeSpan.FromHours(25));
        var expired = await host.Client.PostAsync(resolve.PathAndQuery, null, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, expired.StatusCode);
        Assert.Contains("expired", await expired.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal("acknowledged", await StatusAsync(host, id));

        await using var db = await host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>().CreateDbContextAsync(Ct);
        var audit = await db.AuditEvents.AsNoTracking().Where(e => e.Action.StartsWith("incident.")).OrderBy(e => e.Id).Select(e => new { e.Action, e.Actor, e.Outcome }).ToListAsync(Ct);
        Assert.Contains(audit, a => a.Action == "incident.acknowledge" && a.Actor == "link:hook" && a.Outcome == "ok");
        Assert.Equal(2, audit.Count(a => a.Action == "incident.link" && a.Outcome == "denied"));
    }

    [Fact]
    public async Task A_channels_liquid_templates_shape_its_text_and_webhook_body_and_a_template_that_fails_falls_back_to_the_built_in_one()
    {
        await using var receiver = await Receiver.StartAsync();
        var yaml = Workspace(receiver)
            .Replace($"url: \"{receiver.Url}/hook\",", $$$$"""url: "{{{{receiver.Url}}}}/hook", template: { body: '{"msg": {{ text | json }}, "sev": {{ incident.severity | json }}}', text: '{% if event == "resolved" %}{{ incident.title | shout }}{% else %}{{ incident.severity }} on {{ incident.service }}: {{ incident.title }}{% endif %}' },""", StringComparison.Ordinal)
            .Replace("events: [triggered] }", "events: [triggered], template: \"{{ incident.title | upcase }} ({{ event }})\" }", StringComparison.Ordinal)
            .Replace("notify: [hook, chat, log]", "notify: [hook, chat]", StringComparison.Ordinal);
        await using var host = await TestHost.StartAsync(yaml, provider);
        var id = await OpenAsync(host, title: "Backend \"api\" is down");
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(receiver.Requests.Count == 2)), "the webhook and the chat got the trigger");
        Assert.Equal(HttpStatusCode.OK, (await host.Admin.PostAsync($"/api/v1/incidents/{id}/resolve", null, Ct)).StatusCode);
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(receiver.Requests.Count == 3)), "the webhook got the resolve");

        var hook = receiver.Requests.Where(r => r.Path == "/hook").ToList();
        var first = JsonDocument.Parse(hook[0].Body).RootElement;
        Assert.Equal(("P1 on backend: Backend \"api\" is down", "P1"), (first.GetProperty("msg").GetString(), first.GetProperty("sev").GetString()));
        // The signature covers the body as sent.
        Assert.Equal(ChannelSenders.Signature(Secret, hook[0].Body), hook[0].Headers[ChannelSenders.SignatureHeader]);
        // The resolve branch uses a filter that does not exist: the built-in text is sent instead.
        Assert.Equal($"[P1] Resolved: Backend \"api\" is down (backend) — incident {id}", JsonDocument.Parse(hook[1].Body).RootElement.GetProperty("msg").GetString());
        var chat = JsonDocument.Parse(receiver.Requests.Single(r => r.Path == "/slack").Body).RootElement.GetProperty("text").GetString();
        Assert.Equal("BACKEND \"API\" IS DOWN (triggered)", chat);
    }

    private static async Task<string> StatusAsync(TestHost host, long id) =>
        (await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{id}", Ct)).GetProperty("status").GetString()!;

    [Fact]
    public async Task A_receiver_that_fails_for_a_while_gets_every_notification_once_after_back_off_and_the_channel_shows_failing_meanwhile()
    {
        await using var receiver = await Receiver.StartAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await TestHost.StartAsync(Workspace(receiver).Replace("notify: [hook, chat, log]", "notify: [hook]", StringComparison.Ordinal), provider,
            configure: o => o with { Time = time });
        var dispatcher = host.App.Services.GetRequiredService<OutboxDispatcher>();
        receiver.FailNext(3);
        var id = await OpenAsync(host);
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(dispatcher.Finished >= attempt)), $"attempt {attempt} finished");
            var row = Assert.Single(await OutboxAsync(host));
            Assert.Equal((Outbox.Failed, attempt), (row.State, row.Attempts));
            Assert.Contains("HTTP 503", row.LastError, StringComparison.Ordinal);
            // Not retried before its back-off (5 s, 10 s, 20 s, ±20%) is over, then retried once the clock passes it.
            time.Advance(OutboxDispatcher.Backoff(attempt) * 0.5);
            await Task.Delay(100, Ct);
            Assert.Equal(attempt, (await OutboxAsync(host)).Single().Attempts);
            if (attempt == 3)
            {
                var channel = (await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/channels", Ct)).GetProperty("items").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "hook");
                Assert.Equal((true, 3, 1), (channel.GetProperty("failing").GetBoolean(), channel.GetProperty("consecutive_failures").GetInt32(), channel.GetProperty("retrying").GetInt32()));
                Assert.Contains("HTTP 503", channel.GetProperty("last_error").GetString(), StringComparison.Ordinal);
            }
            time.Advance(TimeSpan.FromSeconds(5 * Math.Pow(2, attempt)));
        }

        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(receiver.Requests.Count == 1)), "delivered after the receiver recovered");
        Assert.True(await TestHost.EventuallyAsync(async () => (await OutboxAsync(host)).Single().State == Outbox.Sent), "recorded as sent");
        time.Advance(TimeSpan.FromHours(1));
        await Task.Delay(300, Ct);
        Assert.Single(receiver.Requests);
        Assert.Equal(4, (await OutboxAsync(host)).Single().Attempts);
        var timeline = await TimelineAsync(host, id);
        Assert.Equal(4, timeline.Count);
        Assert.All(timeline.Take(3), t => Assert.Contains("failed", t, StringComparison.Ordinal));
        Assert.Equal("Notified hook (webhook): incident.triggered (attempt 4)", timeline[3]);
        Assert.False((await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/channels", Ct)).GetProperty("items").EnumerateArray()
            .Single(c => c.GetProperty("id").GetString() == "hook").GetProperty("failing").GetBoolean());

        // A month on, the delivered row is pruned; its outcomes stay on the timeline.
        time.Advance(OutboxDispatcher.KeepFinished + TimeSpan.FromDays(1));
        Assert.True(await TestHost.EventuallyAsync(async () => (await OutboxAsync(host)).Count == 0), "pruned");
        Assert.Equal(4, (await TimelineAsync(host, id)).Count);
    }

    [Fact]
    public async Task An_unreachable_receiver_is_retried_one_that_refuses_for_good_is_given_up_on_at_once_and_errors_carry_no_url_secret()
    {
        await using var receiver = await Receiver.StartAsync();
        var yaml = Workspace(receiver)
            .Replace($"url: \"{receiver.Url}/hook\"", "url: \"http://127.0.0.1:9/hook/s3cr3t-path-token\"", StringComparison.Ordinal)
            .Replace($"url: \"{receiver.Url}/slack\"", $"url: \"{receiver.Url}/gone\"", StringComparison.Ordinal)
            .Replace("notify: [hook, chat, log]", "notify: [hook, chat]", StringComparison.Ordinal);
        await using var host = await TestHost.StartAsync(yaml, provider);
        var id = await OpenAsync(host);
        Assert.True(await TestHost.EventuallyAsync(async () => (await OutboxAsync(host)).All(o => o.Attempts == 1)), "both tried once");
        var rows = (await OutboxAsync(host)).ToDictionary(o => o.ChannelId);
        Assert.Equal(Outbox.Failed, rows["hook"].State);
        Assert.Equal((Outbox.Dead, "the receiver answered HTTP 410 Gone"), (rows["chat"].State, rows["chat"].LastError));
        var timeline = await TimelineAsync(host, id);
        Assert.Contains("Gave up notifying chat (slack) after 1 attempt: the receiver answered HTTP 410 Gone", timeline);
        Assert.True(timeline.Any(t => t.StartsWith("Notifying hook (webhook) failed (attempt 1): could not reach the receiver", StringComparison.Ordinal)), string.Join("\n", timeline));
        var metrics = await host.Client.GetStringAsync("/metrics", Ct);
        // The counters are per process, and other tests' channels have these ids too: at least this test's outcomes.
        Assert.True(Counter(metrics, "hook", "failed") >= 1 && Counter(metrics, "chat", "dead") >= 1, metrics);
        var channels = await host.Admin.GetStringAsync("/api/v1/channels", Ct);
        foreach (var text in timeline.Append(rows["hook"].LastError!).Append(channels).Append(metrics))
            Assert.DoesNotContain("s3cr3t-path-token", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_email_channel_sends_text_and_html_through_a_real_smtp_server()
    {
        var python = Environment.GetEnvironmentVariable("VIGIL_TEST_AIOSMTPD");
        Assert.SkipWhen(string.IsNullOrEmpty(python), "VIGIL_TEST_AIOSMTPD is not set (the python3 that has Debian's python3-aiosmtpd); .ci/run sets it");
        var port = FreePort();
        // A folder that does not exist yet: the sink creates the maildir (new/, cur/, tmp/) in it.
        var maildir = Path.Combine(Directory.CreateTempSubdirectory("vigil-mail-").FullName, "maildir");
        using var sink = Process.Start(new ProcessStartInfo(python!, ["-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Mailbox", maildir])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        try
        {
            Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(CanConnect(port))), "the SMTP sink listens");
            await using var receiver = await Receiver.StartAsync();
            await using var host = await TestHost.StartAsync(Workspace(receiver, $"smtp://127.0.0.1:{port}"), provider);
            var id = await OpenAsync(host, "mailed", "Mail me");
            var delivered = Path.Combine(maildir, "new");
            Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(Directory.Exists(delivered) && Directory.GetFiles(delivered).Length == 1)),
                "one mail delivered; outbox: " + string.Join("; ", (await OutboxAsync(host)).Select(o => $"{o.State} {o.LastError}")));
            var mail = await File.ReadAllTextAsync(Directory.GetFiles(delivered).Single(), Ct);
            Assert.Contains("To: oncall@example.com", mail, StringComparison.Ordinal);
            Assert.Contains($"X-Vigil-Event: incident:{id}:triggered:", mail, StringComparison.Ordinal);
            Assert.Contains("text/plain", mail, StringComparison.Ordinal);
            Assert.Contains("text/html", mail, StringComparison.Ordinal);
            // The built-in templates: the fields in the text part, the same as a table in the HTML part.
            var parsed = await MimeKit.MimeMessage.LoadAsync(Directory.GetFiles(delivered).Single(), Ct);
            Assert.Equal($"[P1] Triggered: Mail me (mailed) — incident {id}", parsed.Subject);
            Assert.Contains($"Incident: {id}: Mail me\n", parsed.TextBody, StringComparison.Ordinal);
            Assert.Contains("Service: mailed\n", parsed.TextBody, StringComparison.Ordinal);
            Assert.Contains("<th align=\"left\">Severity</th><td>P1</td>", parsed.HtmlBody, StringComparison.Ordinal);
            // The outcome is recorded just after the SMTP server took the mail.
            Assert.True(await TestHost.EventuallyAsync(async () => (await TimelineAsync(host, id)).Contains("Notified mail (email): incident.triggered")),
                "the delivery is on the timeline");
        }
        finally
        {
            sink.Kill(entireProcessTree: true);
            await sink.WaitForExitAsync(Ct);
        }
    }

    private static double Counter(string metrics, string channel, string outcome) =>
        System.Text.RegularExpressions.Regex.Match(metrics, $"^vigil_notifications_total\\{{channel=\"{channel}\",outcome=\"{outcome}\"\\}} (\\S+)$", System.Text.RegularExpressions.RegexOptions.Multiline) is { Success: true } m
            ? double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static bool CanConnect(int port)
    {
        try
        {
            using var c = new TcpClient();
            c.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

public sealed class SqliteNotificationTests() : NotificationTests(Db.Sqlite)
{
    [Fact]
    public async Task Notifications_a_dead_process_committed_and_never_sent_go_out_at_the_next_start_and_a_live_ones_claims_are_kept()
    {
        await using var receiver = await Receiver.StartAsync();
        var host = await TestHost.StartAsync(Workspace(receiver).Replace("notify: [hook, chat, log]", "notify: [hook]", StringComparison.Ordinal));
        var id = await OpenAsync(host);
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(receiver.Requests.Count == 1)), "the trigger reached the webhook");

        using var gone = Process.Start("true")!;
        await gone.WaitForExitAsync(Ct);
        using var running = Process.Start("sleep", "60")!;
        try
        {
            // What kill -9 between a commit and its sends leaves: rows claimed for a dispatcher that is gone.
            await using (var db = await host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>().CreateDbContextAsync(Ct))
            {
                var incident = await db.Incidents.SingleAsync(i => i.Id == id, Ct);
                foreach (var (pid, n) in new[] { (gone.Id, 1), (running.Id, 2) })
                {
                    Outbox.Add(db, incident, "hook", "escalated", $"incident:{id}:escalated:{n}:channel:hook", DateTimeOffset.UtcNow);
                    var row = db.Outbox.Local.Single(o => o.EventKey.EndsWith($":{n}:channel:hook", StringComparison.Ordinal));
                    (row.State, row.ClaimedBy, row.ClaimedUntil) = (Outbox.Sending, $"{Environment.MachineName}:{pid}:crashed:1", DateTimeOffset.UtcNow.AddMinutes(2));
                }
                await db.SaveChangesAsync(Ct);
            }
            var (ws, data, env) = (host.WorkspaceDirectory, host.DataDirectory, host.Environment);
            await host.DisposeAsync();

            await using var again = await TestHost.StartAsync(env: env, workspaceDirectory: ws, dataDirectory: data);
            Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(receiver.Requests.Count == 2), TimeSpan.FromSeconds(15)),
                "the dead process's notification went out at start, not two minutes later");
            Assert.EndsWith(":1:channel:hook", receiver.Requests.Last().Headers[ChannelSenders.EventHeader], StringComparison.Ordinal);
            await Task.Delay(1000, Ct);
            // A running process (whatever it is) may still be sending its rows: they wait for its claim to lapse.
            Assert.Equal(2, receiver.Requests.Count);
        }
        finally
        {
            running.Kill();
        }
    }
}

public sealed class PostgresNotificationTests() : NotificationTests(Db.Postgres);

using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Vigil.Storage;

namespace Vigil.Web.Tests.Alerts;

/// <summary>
/// A real Alertmanager (Debian's <c>prometheus-alertmanager</c>, named by VIGIL_TEST_ALERTMANAGER) routes alerts to
/// Vigil through both of its receivers: <c>webhook_configs</c> at the Alertmanager integration, and
/// <c>pagerduty_configs</c> with <c>url:</c> at Vigil's <c>/v2/enqueue</c>. Alerts posted to Alertmanager must open
/// incidents in Vigil, and resolving them there must resolve the incidents.
/// </summary>
public sealed class RealAlertmanagerTests
{
    public const string Variable = "VIGIL_TEST_ALERTMANAGER";
    private const string AmKey = "real-am-webhook-key-0123456789abcdef";
    private const string PdKey = "real-am-pd-routing-key-0123456789abcdef";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Alerts_sent_through_a_real_Alertmanager_open_and_resolve_incidents_by_webhook_and_by_pagerduty()
    {
        var binary = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(binary)) Assert.Skip($"{Variable} is not set: the real Alertmanager test is skipped (CI sets it)");

        await using var host = await TestHost.StartAsync($$"""
            name: Real Alertmanager
            severities:
              - { id: P1, respond_within: 15m, page: true }
              - { id: P3, page: false }
            services:
              - { id: backend }
            integrations:
              - { id: prom, type: alertmanager, service: backend, key: "{{AmKey}}" }
              - { id: prom-pd, type: pagerduty, service: backend, key: "{{PdKey}}" }
            """);
        var vigil = host.Client.BaseAddress!.ToString().TrimEnd('/');
        var dir = Directory.CreateTempSubdirectory("vigil-am-").FullName;
        var port = FreePort();
        await File.WriteAllTextAsync(Path.Combine(dir, "am.yml"), $$"""
            route:
              receiver: vigil
              group_by: [alertname]
              group_wait: 1s
              group_interval: 1s
              repeat_interval: 1h
              routes:
                - receiver: vigil-pd
                  matchers: ['route="pagerduty"']
            receivers:
              - name: vigil
                webhook_configs:
                  - url: "{{vigil}}/api/v1/integrations/{{AmKey}}/alertmanager"
                    send_resolved: true
              - name: vigil-pd
                pagerduty_configs:
                  - routing_key: "{{PdKey}}"
                    url: "{{vigil}}/v2/enqueue"
                    send_resolved: true
            """, Ct);
        using var am = Process.Start(new ProcessStartInfo(binary,
            [$"--config.file={Path.Combine(dir, "am.yml")}", $"--storage.path={Path.Combine(dir, "data")}", $"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        var amLog = new System.Text.StringBuilder();
        am.ErrorDataReceived += (_, e) => { lock (amLog) amLog.AppendLine(e.Data); };
        am.OutputDataReceived += (_, e) => { lock (amLog) amLog.AppendLine(e.Data); };
        am.BeginErrorReadLine();
        am.BeginOutputReadLine();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            Assert.True(await TestHost.EventuallyAsync(async () =>
            {
                try { return (await client.GetAsync("/-/ready", Ct)).IsSuccessStatusCode; }
                catch (HttpRequestException) { return false; }
            }), $"Alertmanager did not start: {amLog}");

            async Task Send(string name, string route, bool resolved)
            {
                var now = DateTimeOffset.UtcNow;
                var r = await client.PostAsJsonAsync("/api/v2/alerts", new[]
                {
                    new
                    {
                        labels = new Dictionary<string, string> { ["alertname"] = name, ["severity"] = "critical", ["route"] = route, ["instance"] = "web-01" },
                        annotations = new Dictionary<string, string> { ["summary"] = $"{name} on web-01", ["runbook_url"] = "https://wiki.example.com/runbooks#errors" },
                        startsAt = now.AddMinutes(-5),
                        endsAt = resolved ? now.AddSeconds(-1) : now.AddHours(1),
                    },
                }, Ct);
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            }

            async Task<Incident?> IncidentAsync(string integration)
            {
                await using var db = await host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>().CreateDbContextAsync(Ct);
                return await db.Incidents.AsNoTracking().FirstOrDefaultAsync(i => i.DedupKey!.StartsWith(integration + "/"), Ct);
            }

            await Send("HighErrorRate", "webhook", resolved: false);
            await Send("DiskFull", "pagerduty", resolved: false);
            Assert.True(await TestHost.EventuallyAsync(async () => await IncidentAsync("prom") is not null && await IncidentAsync("prom-pd") is not null),
                $"no incidents from Alertmanager; its log: {amLog}");
            var webhook = (await IncidentAsync("prom"))!;
            Assert.Equal(("HighErrorRate on web-01", "P1", "triggered"), (webhook.Title, webhook.Severity, webhook.Status));
            Assert.Equal("https://wiki.example.com/runbooks#errors", webhook.RunbookPath);
            var paged = (await IncidentAsync("prom-pd"))!;
            Assert.Contains("DiskFull", paged.Title);
            Assert.Equal("triggered", paged.Status);

            await Send("HighErrorRate", "webhook", resolved: true);
            await Send("DiskFull", "pagerduty", resolved: true);
            Assert.True(await TestHost.EventuallyAsync(async () => (await IncidentAsync("prom"))!.Status == "resolved" && (await IncidentAsync("prom-pd"))!.Status == "resolved"),
                $"the incidents did not resolve; Alertmanager's log: {amLog}");
        }
        finally
        {
            am.Kill(entireProcessTree: true);
            await am.WaitForExitAsync(CancellationToken.None);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

// Driver for bench/notify-latency: a webhook receiver on loopback and the senders, in one process.
//
//   NotifyLatency RECEIVER_PORT VIGIL_URL ROUTING_KEY N OFFSET
//   NotifyLatency RECEIVER_PORT ALERTMANAGER_URL --alertmanager N OFFSET
//
// Incident i (0 <= i < 2N) uses PagerDuty dedup key lat-(OFFSET+i) and heartbeat check hb(OFFSET+i), whose ping key is
// notify-bench-hb-(OFFSET+i): a warm-up run takes an OFFSET past the measured run's.
//
// For each source, N incidents are triggered one at a time (the next after the previous notification arrived) and then
// N at once (32 senders on kept-alive connections, opened beforehand), and the time from sending the trigger to the webhook request
// reaching the receiver is taken per incident (matched by the incident's dedup key in the body):
//   - pagerduty: POST /v2/enqueue with a new dedup key (a new incident each time);
//   - heartbeat: GET /ping/KEY/fail, a failing check result at once (the check has alert: { after: 1 }); at most 250
//     each way, since Vigil takes 600 pings a minute from one address.
// One at a time, each trigger is sent by a new curl process, as ../shared/bench/run-alertmanager-latency.sh does, so
// both sides pay the same client cost. Prints p50/p90/p99/max per series. Each series starts after 2 s of quiet, so it
// measures its own events, not the previous series' trailing work (a burst's outcomes recorded, the JIT's tier-up of
// code the burst made hot); measured without the pause, a heartbeat series started right after the PagerDuty burst had
// its slowest events in its first half second, while a thread compiling at tier 1 took 60-80% of a core.
//
// With --alertmanager, the same two series are taken against Alertmanager: POST /api/v2/alerts with a new `instance`
// label each time (a new group, sent at once with group_wait: 0s) to the same receiver, matched by that label.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

var port = int.Parse(args[0], CultureInfo.InvariantCulture);
var target = args[1].TrimEnd('/');
var routingKey = args[2];
var n = int.Parse(args[3], CultureInfo.InvariantCulture);
var offset = int.Parse(args[4], CultureInfo.InvariantCulture);

var arrivals = new ConcurrentDictionary<string, TaskCompletionSource<long>>(StringComparer.Ordinal);
TaskCompletionSource<long> Arrival(string key) => arrivals.GetOrAdd(key, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));

var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
builder.Logging.ClearProviders();
await using var receiver = builder.Build();
receiver.Run(async http =>
{
    using var body = new MemoryStream();
    await http.Request.Body.CopyToAsync(body);
    var at = Stopwatch.GetTimestamp();
    string? key = null;
    try
    {
        var doc = JsonDocument.Parse(body.ToArray()).RootElement;
        key = doc.TryGetProperty("incident", out var incident)
            ? incident.GetProperty("dedup_key").GetString()
            : "am/" + doc.GetProperty("alerts")[0].GetProperty("labels").GetProperty("instance").GetString();
    }
    catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
    {
        // Not a notification of ours: answered, not counted.
    }
    if (key is not null) Arrival(key).TrySetResult(at);
    http.Response.StatusCode = 200;
});
await receiver.StartAsync();

using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
{
    Timeout = TimeSpan.FromSeconds(30),
};

var ids = Enumerable.Range(offset, 2 * n).ToList();
if (routingKey == "--alertmanager")
{
    await SeriesAsync("alertmanager alert -> webhook",
        ids.Select(i => new Trigger($"am/lat-{i}", "POST", "/api/v2/alerts", $$$"""[{"labels":{"alertname":"Lat","instance":"lat-{{{i}}}"}}]""")).ToList(), n);
}
else
{
    await SeriesAsync("pagerduty trigger -> webhook", ids.Select(i => new Trigger($"pd/lat-{i}", "POST", "/v2/enqueue",
        $$$"""{"routing_key":"{{{routingKey}}}","event_action":"trigger","dedup_key":"lat-{{{i}}}","payload":{"summary":"latency probe","source":"bench","severity":"critical"}}""")).ToList(), n);
    // The ping endpoints take 600 pings a minute from one address (then 429): at most 250 + 250 here.
    await SeriesAsync("heartbeat fail -> webhook", ids.Select(i => new Trigger($"beats/hb{i}", "GET", $"/ping/notify-bench-hb-{i}/fail", null)).ToList(), Math.Min(n, 250));
}
await receiver.StopAsync();
return 0;

async Task SeriesAsync(string name, List<Trigger> triggers, int count)
{
    var latencies = new List<double>();
    var missing = 0;
    await Task.Delay(TimeSpan.FromSeconds(2));
    foreach (var t in triggers.Take(count))
    {
        var sent = Stopwatch.GetTimestamp();
        await CurlAsync(t);
        var arrival = Arrival(t.Key).Task;
        if (await Task.WhenAny(arrival, Task.Delay(TimeSpan.FromSeconds(10))) == arrival) latencies.Add(Stopwatch.GetElapsedTime(sent, arrival.Result).TotalMilliseconds);
        else missing++;
        await Task.Delay(10);
    }
    Report($"{name}, one at a time", latencies, missing);

    var burst = triggers.Skip(count).Take(count).ToList();
    await Task.Delay(TimeSpan.FromSeconds(2));
    // The 32 senders' connections are opened (and this process's HTTP client warmed) before the clock starts: measured
    // cold, the burst's first 32 triggers reached the server 75-85 ms after being stamped, all of it spent here.
    var probe = target + (routingKey == "--alertmanager" ? "/-/ready" : "/health");
    for (var round = 0; round < 3; round++)
    {
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            using var response = await client.GetAsync(probe);
            response.EnsureSuccessStatusCode();
        }));
    }
    var sentAt = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
    var next = -1;
    var failures = 0;
    await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < burst.Count)
        {
            var t = burst[i];
            using var request = new HttpRequestMessage(new HttpMethod(t.Method), target + t.Path);
            if (t.Body is not null) request.Content = new StringContent(t.Body, Encoding.UTF8, "application/json");
            sentAt[t.Key] = Stopwatch.GetTimestamp();
            using var response = await client.SendAsync(request);
            if ((int)response.StatusCode >= 300) Interlocked.Increment(ref failures);
        }
    }));
    if (failures > 0) throw new InvalidOperationException($"{name}: {failures} triggers of the burst were refused");
    var all = Task.WhenAll(burst.Select(t => Arrival(t.Key).Task));
    await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(60)));
    var arrived = burst.Where(t => Arrival(t.Key).Task.IsCompletedSuccessfully).ToList();
    Report($"{name}, {burst.Count} at once", [.. arrived.Select(t => Stopwatch.GetElapsedTime(sentAt[t.Key], Arrival(t.Key).Task.Result).TotalMilliseconds)],
        burst.Count - arrived.Count);
    // Where the tail is: the first 32 triggers (the senders' first round) against the rest, in the order they were sent.
    var bySendOrder = arrived.OrderBy(t => sentAt[t.Key]).Select(t => Stopwatch.GetElapsedTime(sentAt[t.Key], Arrival(t.Key).Task.Result).TotalMilliseconds).ToList();
    if (bySendOrder.Count > 64)
    {
        var rest = bySendOrder.Skip(32).Order().ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  by send order: the first 32 mean {bySendOrder.Take(32).Average():F1} ms; the other {rest.Count} p50={rest[rest.Count / 2]:F1} ms p99={rest[Math.Min(rest.Count - 1, (int)(rest.Count * 0.99))]:F1} ms"));
    }
}

async Task CurlAsync(Trigger t)
{
    var start = new ProcessStartInfo("curl") { RedirectStandardOutput = true, UseShellExecute = false };
    foreach (var a in new[] { "-s", "-o", "/dev/null", "-X", t.Method, target + t.Path }) start.ArgumentList.Add(a);
    if (t.Body is not null)
    {
        foreach (var a in new[] { "-H", "Content-Type: application/json", "-d", t.Body }) start.ArgumentList.Add(a);
    }
    using var curl = Process.Start(start)!;
    await curl.WaitForExitAsync();
    if (curl.ExitCode != 0) throw new InvalidOperationException($"curl {t.Method} {t.Path} exited with {curl.ExitCode}");
}

static void Report(string name, List<double> latencies, int missing)
{
    if (latencies.Count == 0)
    {
        Console.WriteLine($"{name}: no notification arrived");
        return;
    }
    latencies.Sort();
    double Q(double p) => latencies[Math.Min(latencies.Count - 1, (int)(latencies.Count * p))];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name}: n={latencies.Count} p50={Q(0.5):F1} ms p90={Q(0.9):F1} ms p99={Q(0.99):F1} ms max={latencies[^1]:F1} ms")
        + (missing > 0 ? $", {missing} never arrived" : ""));
}

internal sealed record Trigger(string Key, string Method, string Path, string? Body);

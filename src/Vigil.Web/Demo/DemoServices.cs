using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Vigil.Web.Demo;

/// <summary>
/// The timeline of the demo's simulated services, as pure functions of the time since the demo started,
/// so a newcomer sees a state change within a minute and the tests can check every phase.
/// </summary>
public static class DemoTimeline
{
    /// <summary>The storefront's cycle: healthy, then failing for <see cref="StorefrontOutage"/>.</summary>
    public static readonly TimeSpan StorefrontCycle = TimeSpan.FromMinutes(3);
    public static readonly TimeSpan StorefrontOutageStart = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan StorefrontOutage = TimeSpan.FromSeconds(40);

    /// <summary>The checkout's cycle: fast, then slowing past the warn threshold, then fast again.</summary>
    public static readonly TimeSpan CheckoutCycle = TimeSpan.FromSeconds(150);
    public static readonly TimeSpan CheckoutFast = TimeSpan.FromMilliseconds(40);
    public static readonly TimeSpan CheckoutSlowest = TimeSpan.FromMilliseconds(900);

    /// <summary>The worker pings every minute but skips minutes 5, 6 and 7 of every 10, so its heartbeat goes late.</summary>
    public static readonly TimeSpan WorkerPingEvery = TimeSpan.FromMinutes(1);
    public const int WorkerCycleMinutes = 10;

    public static bool StorefrontFailing(TimeSpan elapsed)
    {
        var phase = Phase(elapsed, StorefrontCycle);
        return phase >= StorefrontOutageStart && phase < StorefrontOutageStart + StorefrontOutage;
    }

    /// <summary>40 ms most of the time; from 45 s into each cycle it climbs to 900 ms over 45 s, then drops back.</summary>
    public static TimeSpan CheckoutLatency(TimeSpan elapsed)
    {
        var phase = Phase(elapsed, CheckoutCycle).TotalSeconds;
        if (phase < 45 || phase >= 90) return CheckoutFast;
        var rise = (phase - 45) / 45;
        return CheckoutFast + ((CheckoutSlowest - CheckoutFast) * rise);
    }

    /// <summary>Whether the worker pings in the minute that starts at <paramref name="elapsed"/>.</summary>
    public static bool WorkerPings(TimeSpan elapsed) => (int)(elapsed.TotalMinutes % WorkerCycleMinutes) is not (5 or 6 or 7);

    private static TimeSpan Phase(TimeSpan elapsed, TimeSpan cycle) => TimeSpan.FromTicks(Math.Max(0, elapsed.Ticks) % cycle.Ticks);
}

/// <summary>When the demo started; every simulated service counts from it.</summary>
public sealed class DemoClock(TimeProvider time)
{
    public DateTimeOffset Started { get; } = time.GetUtcNow();

    public TimeSpan Elapsed => time.GetUtcNow() - Started;
}

/// <summary>
/// <c>vigil demo</c>'s simulated shop, served by the Vigil process itself: a storefront that fails now
/// and then, a checkout that slows down, and an order worker whose heartbeat goes late. Only the demo
/// wires this in; <c>vigil serve</c> never answers on <c>/demo/…</c>.
/// </summary>
public static class DemoServices
{
    public const string WorkerKey = "demo-order-worker";

    public static IServiceCollection AddVigilDemo(this IServiceCollection services)
    {
        services.AddSingleton<DemoClock>();
        services.AddHostedService<DemoOrderWorker>();
        return services;
    }

    public static IEndpointRouteBuilder MapDemoServices(this IEndpointRouteBuilder app)
    {
        var demo = app.MapGroup("/demo").AllowAnonymous().ExcludeFromDescription();
        demo.MapGet("/storefront/health", (DemoClock clock) => DemoTimeline.StorefrontFailing(clock.Elapsed)
            ? Results.Json(new { status = "failing", error = "database connection pool exhausted" }, statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Json(new { status = "ok" }));
        demo.MapGet("/checkout/health", async (DemoClock clock, TimeProvider time, CancellationToken ct) =>
        {
            await Task.Delay(DemoTimeline.CheckoutLatency(clock.Elapsed), time, ct);
            return Results.Json(new { status = "ok" });
        });
        return app;
    }
}

/// <summary>The simulated order worker: pings its heartbeat over HTTP like a real job, and skips a few minutes now and then.</summary>
internal sealed class DemoOrderWorker(DemoClock clock, TimeProvider time, IServer server, IHostApplicationLifetime lifetime, ILogger<DemoOrderWorker> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The address is known once the server listens.
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try
            {
                await started.Task;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null) return;
        using var http = new HttpClient { BaseAddress = new Uri(Loopback(address)), Timeout = TimeSpan.FromSeconds(10) };
        using var timer = new PeriodicTimer(DemoTimeline.WorkerPingEvery, time);
        do
        {
            if (!DemoTimeline.WorkerPings(clock.Elapsed)) continue;
            try
            {
                using var response = await http.PostAsync($"/ping/{DemoServices.WorkerKey}", new StringContent("sent 12 order e-mails"), stoppingToken);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                log.LogWarning("Demo order worker could not ping: {Error}", e.Message);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>A listening address as a URL to call: wildcard hosts become 127.0.0.1.</summary>
    public static string Loopback(string address)
    {
        var i = address.IndexOf("://", StringComparison.Ordinal);
        var rest = address[(i + 3)..];
        var colon = rest.LastIndexOf(':');
        var host = colon < 0 ? rest : rest[..colon];
        var port = colon < 0 ? "" : rest[colon..];
        if (host is "0.0.0.0" or "+" or "*" or "[::]") host = "127.0.0.1";
        return $"{address[..i]}://{host}{port}";
    }
}

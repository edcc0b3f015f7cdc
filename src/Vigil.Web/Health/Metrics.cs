using Prometheus;

namespace Vigil.Web.Health;

/// <summary>
/// <c>/metrics</c> in Prometheus text format: process and .NET runtime metrics, HTTP request
/// counts and durations by route, and Vigil's own (each capability adds its metrics beside its code).
/// </summary>
public static class Metrics
{
    // prometheus-net by default also republishes every .NET EventCounter and Meter (ASP.NET, Kestrel, EF Core,
    // runtime) by listening to them in-process; measured on an idle server with one check, that listening cost about
    // 15 ms of CPU every second. Process metrics (CPU, memory, threads, GC) stay on.
    private static readonly bool Suppressed = Suppress();

    private static bool Suppress()
    {
        Prometheus.Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions
        {
            SuppressEventCounters = true,
            SuppressMeters = true,
            SuppressProcessMetrics = false,
            SuppressDebugMetrics = true,
        });
        return true;
    }

    public static readonly Counter WorkspaceReloads = Prometheus.Metrics.CreateCounter(
        "vigil_workspace_reloads_total", "Workspace reload attempts, by outcome.", "outcome");

    public static readonly Gauge WorkspaceValid = Prometheus.Metrics.CreateGauge(
        "vigil_workspace_valid", "1 when the latest edit of vigil.yaml is valid, 0 while the last good workspace runs in its place.");

    public static WebApplication UseVigilMetrics(this WebApplication app)
    {
        // Publish every series from the start: a scrape before the first reload must see them at 0,
        // and the workspace the host started with is valid by construction.
        _ = Suppressed;
        WorkspaceReloads.WithLabels("applied");
        WorkspaceReloads.WithLabels("rejected");
        WorkspaceValid.Set(1);
        app.UseHttpMetrics(o => o.ReduceStatusCodeCardinality());
        app.MapMetrics("/metrics");
        return app;
    }
}

using Prometheus;

namespace Vigil.Web.Health;

/// <summary>
/// <c>/metrics</c> in Prometheus text format: process and .NET runtime metrics, HTTP request
/// counts and durations by route, and Vigil's own (each capability adds its metrics beside its code).
/// </summary>
public static class Metrics
{
    public static readonly Counter WorkspaceReloads = Prometheus.Metrics.CreateCounter(
        "vigil_workspace_reloads_total", "Workspace reload attempts, by outcome.", "outcome");

    public static readonly Gauge WorkspaceValid = Prometheus.Metrics.CreateGauge(
        "vigil_workspace_valid", "1 when the latest edit of vigil.yaml is valid, 0 while the last good workspace runs in its place.");

    public static WebApplication UseVigilMetrics(this WebApplication app)
    {
        // Publish every series from the start: a scrape before the first reload must see them at 0,
        // and the workspace the host started with is valid by construction.
        WorkspaceReloads.WithLabels("applied");
        WorkspaceReloads.WithLabels("rejected");
        WorkspaceValid.Set(1);
        app.UseHttpMetrics(o => o.ReduceStatusCodeCardinality());
        app.MapMetrics("/metrics");
        return app;
    }
}

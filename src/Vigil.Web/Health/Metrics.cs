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

    public static readonly Counter StepRuns = Prometheus.Metrics.CreateCounter(
        "vigil_runbook_step_runs_total", "Runbook steps run by Vigil, by risk class and how the run ended.", "risk", "status");

    public static readonly Counter StepRefusals = Prometheus.Metrics.CreateCounter(
        "vigil_runbook_step_refusals_total", "Requests to run a runbook step that were refused, by HTTP status.", "status");

    public static readonly Gauge WorkspaceValid = Prometheus.Metrics.CreateGauge(
        "vigil_workspace_valid", "1 when the latest edit of vigil.yaml is valid, 0 while the last good workspace runs in its place.");

    // The JIT's own totals (System.Runtime.JitInfo): how much CPU is still going to compiling. Tiered compilation
    // recompiles hot code for minutes after a start, and code that runs once a minute gets there only after many
    // minutes, so a CPU measurement means little without knowing how much of it was the JIT.
    private static readonly Counter JitSeconds = Prometheus.Metrics.CreateCounter(
        "dotnet_jit_compilation_seconds_total", "Time the JIT has spent compiling methods since the process started.");

    private static readonly Counter JitMethods = Prometheus.Metrics.CreateCounter(
        "dotnet_jit_methods_compiled_total", "Methods the JIT has compiled (each tier counts) since the process started.");

    public static WebApplication UseVigilMetrics(this WebApplication app)
    {
        Prometheus.Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            JitSeconds.IncTo(System.Runtime.JitInfo.GetCompilationTime().TotalSeconds);
            JitMethods.IncTo(System.Runtime.JitInfo.GetCompiledMethodCount());
        });
        // Publish every series from the start: a scrape before the first reload must see them at 0,
        // and the workspace the host started with is valid by construction.
        _ = Suppressed;
        WorkspaceReloads.WithLabels("applied");
        WorkspaceReloads.WithLabels("rejected");
        WorkspaceValid.Set(1);
        // The inbound alert endpoints are answered before this (UseInboundFastPath) and count themselves
        // (vigil_inbound_requests_total): at thousands of events a second the generic per-route metrics cost more than
        // the rest of their handling.
        app.UseHttpMetrics(o => o.ReduceStatusCodeCardinality());
        app.MapMetrics("/metrics");
        return app;
    }
}

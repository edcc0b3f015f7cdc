using Vigil.Core.Conditions;
using Prometheus;
using Vigil.Core.Checks;
using Vigil.Core.Checks.Engine;
using Vigil.Core.Workspace;
using Vigil.Web.Hosting;
using CheckResult = Vigil.Core.Checks.CheckResult;

namespace Vigil.Web.Checks;

/// <summary>The engine's metrics on <c>/metrics</c>, and its errors in the log.</summary>
public sealed class EngineMetrics(ILogger<CheckScheduler> log) : ICheckEngineObserver
{
    public static readonly Counter Runs = Prometheus.Metrics.CreateCounter(
        "vigil_check_runs_total", "Check runs, by kind and result (up, degraded, down).", "kind", "result");

    public static readonly Histogram Duration = Prometheus.Metrics.CreateHistogram(
        "vigil_check_duration_seconds", "How long a check run took, by kind.",
        new HistogramConfiguration { LabelNames = ["kind"], Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });

    public static readonly Histogram ScheduleLag = Prometheus.Metrics.CreateHistogram(
        "vigil_check_schedule_lag_seconds", "How late a run started after its slot.",
        new HistogramConfiguration { Buckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10] });

    public static readonly Counter SkippedSlots = Prometheus.Metrics.CreateCounter(
        "vigil_check_skipped_slots_total", "Slots not run because the check's previous run was still in flight (or the engine was behind).");

    public static readonly Counter Errors = Prometheus.Metrics.CreateCounter(
        "vigil_check_engine_errors_total", "Errors outside a probe's normal failure path.");

    // Each series looked up once, at its first run (indexed by the enums' values), instead of a label lookup per run,
    // which allocates and hashes for nothing. Series appear as before: only once something has run.
    private static readonly Counter.Child?[,] RunsByKind = new Counter.Child?[Enum.GetValues<CheckKind>().Length, Enum.GetValues<CheckStatus>().Length];
    private static readonly Histogram.Child?[] DurationByKind = new Histogram.Child?[Enum.GetValues<CheckKind>().Length];

    public void RunCompleted(CheckResult result, TimeSpan duration, TimeSpan lag)
    {
        var kind = (int)result.Kind;
        (RunsByKind[kind, (int)result.Status] ??= Runs.WithLabels(Kind(result.Kind), Sql.Status(result.Status))).Inc();
        (DurationByKind[kind] ??= Duration.WithLabels(Kind(result.Kind))).Observe(duration.TotalSeconds);
        ScheduleLag.Observe(Math.Max(0, lag.TotalSeconds));
    }

    public void SlotsSkipped(string serviceId, Check check, int count) => SkippedSlots.Inc(count);

    public void Error(string serviceId, string checkId, Exception error)
    {
        Errors.Inc();
        log.LogError(error, "Check {Service}/{Check} failed outside its probe", serviceId, checkId);
    }

    /// <summary>Publishes every series at 0 so a scrape before the first run sees them.</summary>
    public static void Publish()
    {
        SkippedSlots.Inc(0);
        Errors.Inc(0);
        foreach (var kind in Enum.GetValues<CheckKind>())
        {
            foreach (var result in new[] { "up", "degraded", "down" }) Runs.WithLabels(Kind(kind), result);
        }
    }

    private static string Kind(CheckKind kind) => kind.ToString().ToLowerInvariant();
}

/// <summary>
/// Runs the scheduler for the workspace's checks, with the probes and evaluator registered in DI
/// (<see cref="ICheckProbe"/> singletons, one per kind, and one <see cref="ICheckEvaluator"/>). Without an
/// evaluator or any probe it stays idle and says so; kinds without a probe are not scheduled.
/// </summary>
public sealed class CheckEngineService(IServiceProvider services, WorkspaceState state, VigilHostOptions options, ICheckResultSink sink, EngineMetrics metrics, ILogger<CheckEngineService> log) : IHostedService, IAsyncDisposable
{
    private CheckScheduler? scheduler;

    /// <summary>The running scheduler, or null when no probes are registered.</summary>
    public CheckScheduler? Scheduler => scheduler;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var probes = services.GetServices<ICheckProbe>().GroupBy(p => p.Kind).ToDictionary(g => g.Key, g => g.Last());
        var evaluator = services.GetService<ICheckEvaluator>();
        if (probes.Count == 0 || evaluator is null)
        {
            log.LogInformation("Check engine idle: no probes or no condition evaluator registered");
            return Task.CompletedTask;
        }
        var runner = new CheckRunner(probes, evaluator, options.Time, options.WorkspaceDirectory);
        scheduler = new CheckScheduler(runner, sink, options.Time, new CheckEngineOptions { MaxConcurrency = options.Engine.MaxConcurrency, DispatchGranularity = options.Engine.DispatchGranularity }, metrics);
        scheduler.Start(state);
        log.LogInformation("Check engine started: {Checks} checks scheduled, kinds {Kinds}, up to {Concurrency} at once",
            scheduler.Scheduled, string.Join(", ", probes.Keys.Order()), options.Engine.MaxConcurrency);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    /// <summary>Stops the scheduler once, whoever asks first: the host stopping, or disposing after a failed start.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref scheduler, null) is { } running) await running.DisposeAsync();
    }
}

public static class ChecksHosting
{
    /// <summary>
    /// The check engine: scheduler (started when probes are registered), batching result writer, state-change feed,
    /// rollups and retention.
    /// </summary>
    public static IServiceCollection AddVigilChecks(this IServiceCollection services)
    {
        services.AddSingleton<CheckStateChanges>();
        services.AddSingleton<CheckResultWriter>();
        services.AddSingleton<ICheckResultSink>(sp => sp.GetRequiredService<CheckResultWriter>());
        services.AddHostedService(sp => sp.GetRequiredService<CheckResultWriter>());
        services.AddSingleton<CheckRollups>();
        services.AddHostedService(sp => sp.GetRequiredService<CheckRollups>());
        services.AddSingleton<EngineMetrics>();
        // The real probes (one shared registry owning HTTP handlers, Redis connections …) and the condition
        // evaluator. Registrations added later for a kind win, which is how tests plug in fakes.
        // Built explicitly: letting DI pick the constructor would feed it every ICheckProbe, including the
        // ones below that come from this registry, and deadlock on the cycle.
        services.AddSingleton(_ => new CheckProbes());
        foreach (var kind in Enum.GetValues<CheckKind>().Where(k => k != CheckKind.Heartbeat))
        {
            services.AddSingleton<ICheckProbe>(sp => sp.GetRequiredService<CheckProbes>()[kind]);
        }
        services.AddSingleton<ICheckEvaluator, ConditionEvaluator>();
        services.AddSingleton<CheckEngineService>();
        services.AddHostedService(sp => sp.GetRequiredService<CheckEngineService>());
        EngineMetrics.Publish();
        return services;
    }
}

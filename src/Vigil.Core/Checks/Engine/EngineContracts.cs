using Vigil.Core.Workspace;

namespace Vigil.Core.Checks.Engine;

/// <summary>
/// What the engine reports as it runs: metrics and errors. The core has no logging or metrics library;
/// the web layer implements this with prometheus-net and <c>ILogger</c>.
/// </summary>
public interface ICheckEngineObserver
{
    /// <summary>A run finished and its result was produced. <paramref name="lag"/> = start − slot.</summary>
    void RunCompleted(CheckResult result, TimeSpan duration, TimeSpan lag);

    /// <summary>A slot came due while the check's previous run was still in flight, or passed while the engine was behind.</summary>
    void SlotsSkipped(string serviceId, Check check, int count);

    /// <summary>Something failed outside a probe's normal failure path (a probe or evaluator that threw, a sink that refused).</summary>
    void Error(string serviceId, string checkId, Exception error);
}

/// <summary>Observes nothing; for tests and the CLI.</summary>
public sealed class NullCheckEngineObserver : ICheckEngineObserver
{
    public static readonly NullCheckEngineObserver Instance = new();

    public void RunCompleted(CheckResult result, TimeSpan duration, TimeSpan lag)
    {
    }

    public void SlotsSkipped(string serviceId, Check check, int count)
    {
    }

    public void Error(string serviceId, string checkId, Exception error)
    {
    }
}

/// <summary>Engine settings.</summary>
public sealed record CheckEngineOptions
{
    /// <summary>
    /// Probes are I/O-bound: a run mostly waits on a socket or a process. 64 per core (128 on two cores) covers
    /// 10,000 checks at 10 s (1,000 probes/s) with probes averaging up to ~100 ms, and still leaves room for
    /// dozens of hanging targets waiting out their timeouts, while bounding sockets, processes and memory.
    /// </summary>
    public static int DefaultConcurrency => Math.Max(16, 64 * Environment.ProcessorCount);

    /// <summary>Most probes running at once; further due runs wait for a free slot (their lag shows it).</summary>
    public int MaxConcurrency { get; init; } = DefaultConcurrency;
}

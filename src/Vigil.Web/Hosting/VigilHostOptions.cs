namespace Vigil.Web.Hosting;

/// <summary>What a Vigil server needs to start: where its workspace and data are, and where to listen.</summary>
public sealed record VigilHostOptions
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>The folder holding vigil.yaml.</summary>
    public required string WorkspaceDirectory { get; init; }

    /// <summary>Where SQLite keeps its file; defaults to <c>WORKSPACE/.vigil/</c>.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>A PostgreSQL URL or connection string; SQLite when null.</summary>
    public string? Database { get; init; }

    public string Urls { get; init; } = DefaultUrl;

    /// <summary>Environment lookup for <c>${VAR}</c> and <c>VIGIL_BOOTSTRAP_TOKEN</c>; the process environment by default.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How often the workspace file is polled for changes, besides file-system notifications.</summary>
    public TimeSpan ReloadPollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The largest request body accepted anywhere (bytes). Endpoints may set smaller limits.</summary>
    public long MaxRequestBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>Serve the demo's simulated services (<c>/demo/…</c> and a pinging worker); <c>vigil demo</c> only.</summary>
    public bool Demo { get; init; }

    /// <summary>Check engine settings: concurrency, result queue, retention.</summary>
    public CheckEngineSettings Engine { get; init; } = new();

    /// <summary>Extra service registrations applied last, so an embedder or a test can replace a service (fake probes, a result sink).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    public string ResolvedDataDirectory => DataDirectory ?? Path.Combine(WorkspaceDirectory, ".vigil");

    /// <summary>
    /// The address people reach this server at, for links in notifications: <c>VIGIL_PUBLIC_URL</c>, else the first
    /// address the server listens on (<paramref name="listening"/>, or the first of <see cref="Urls"/>), a wildcard host
    /// read as <c>localhost</c>.
    /// </summary>
    public string PublicUrl(string? listening = null) =>
        (Environment("VIGIL_PUBLIC_URL") is { Length: > 0 } url ? url
            : listening ?? Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? DefaultUrl)
        .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal).Replace("://+", "://localhost", StringComparison.Ordinal)
        .Replace("://*", "://localhost", StringComparison.Ordinal).Replace("://[::]", "://localhost", StringComparison.Ordinal).TrimEnd('/');
}

/// <summary>How the check engine runs and how long it keeps what it measured.</summary>
public sealed record CheckEngineSettings
{
    /// <summary>Most probes running at once (default 64 per core; see <c>CheckEngineOptions.DefaultConcurrency</c>).</summary>
    public int MaxConcurrency { get; init; } = Core.Checks.Engine.CheckEngineOptions.DefaultConcurrency;

    /// <summary>How often, at most, the dispatcher wakes to start due runs (see <c>CheckEngineOptions.DispatchGranularity</c>).</summary>
    public TimeSpan DispatchGranularity { get; init; } = Core.Checks.Engine.CheckEngineOptions.DefaultDispatchGranularity;

    /// <summary>Results waiting to be stored before probes wait for the writer (about a minute at 1,000 results/s).</summary>
    public int WriterQueueCapacity { get; init; } = 50_000;

    /// <summary>
    /// How long the writer waits for a batch to fill before committing it (0 commits every result at once). A result
    /// that may change its check's state is committed without waiting, so this delays only the storing of results that
    /// change nothing. Measured with 1,000 HTTP checks at 10 s (bench/probe-cost, steady window): 1 s instead of 250 ms
    /// took Vigil's CPU per probe from ~197 to ~163 µs, as each commit rewrites the check-state and index pages it
    /// touches whatever the number of rows.
    /// </summary>
    public TimeSpan WriterFlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long raw results are kept.</summary>
    public TimeSpan RawRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How long per-minute rollups are kept. Each check makes 1,440 minute rows a day (about 40 MB over 400 days
    /// on SQLite), so a large installation may want this shorter: charts beyond a month can read hours.
    /// </summary>
    public TimeSpan MinuteRollupRetention { get; init; } = TimeSpan.FromDays(400);

    /// <summary>How long per-hour rollups are kept.</summary>
    public TimeSpan RollupRetention { get; init; } = TimeSpan.FromDays(400);

    /// <summary>How often rollups and retention run.</summary>
    public TimeSpan MaintenanceInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Rows deleted per statement by retention, so no delete holds the write lock for long.</summary>
    public int RetentionBatchSize { get; init; } = 5_000;
}

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

    /// <summary>Runs after Vigil's own registrations, so an embedder or a test can replace a service (the result sink, say).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    public string ResolvedDataDirectory => DataDirectory ?? Path.Combine(WorkspaceDirectory, ".vigil");
}

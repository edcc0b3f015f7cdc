using Vigil.Core.Workspace;
using Vigil.Web.Hosting;

namespace Vigil.Web.Workspace;

/// <summary>
/// Hot reload: watches the workspace folder (vigil.yaml and runbooks) and applies a good edit
/// without a restart. A bad edit keeps the last good workspace running; its errors are logged
/// and shown at <c>GET /api/v1/workspace</c>. File-system events trigger a reload at once; a
/// slow poll backs them up, because editors that save by rename and some file systems
/// (network mounts, containers) drop events.
/// </summary>
public sealed class WorkspaceReloader(VigilHostOptions options, WorkspaceState state, ILogger<WorkspaceReloader> log) : BackgroundService
{
    // Editors write a file in several steps; wait for the burst to settle before reading.
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(200);

    private readonly SemaphoreSlim changed = new(0, 1);
    private string lastSeen = "";

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Taken while the host starts, not in ExecuteAsync: since .NET 10 that runs later on the thread pool, and an edit
        // made in between (a test, a deploy script writing right after start) would become the baseline and never apply.
        lastSeen = Stamp();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var watcher = Watch();
        var backoff = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await changed.WaitAsync(options.ReloadPollInterval, stoppingToken);
                var stamp = Stamp();
                if (stamp == lastSeen) continue;
                await Task.Delay(Settle, options.Time, stoppingToken);
                lastSeen = Stamp();
                Reload();
                backoff = TimeSpan.Zero;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromMinutes(1).Ticks));
                log.LogError(e, "Workspace reload failed; retrying in {Backoff}", backoff);
                await Task.Delay(backoff, options.Time, stoppingToken);
            }
        }
    }

    /// <summary>Loads the workspace now and applies it if valid. Returns the errors, if any.</summary>
    public IReadOnlyList<WorkspaceError> Reload()
    {
        var result = new WorkspaceLoader(options.Environment).Load(options.WorkspaceDirectory);
        var appliedChange = state.Apply(result);
        if (result.Ok)
        {
            Health.Metrics.WorkspaceReloads.WithLabels("applied").Inc();
            Health.Metrics.WorkspaceValid.Set(1);
            if (appliedChange)
            {
                var w = result.Workspace!;
                log.LogInformation("Workspace reloaded: '{Name}', {Services} services, {Checks} checks", w.Name, w.Services.Count, w.Services.Sum(s => s.Checks.Count));
            }
            return [];
        }
        Health.Metrics.WorkspaceReloads.WithLabels("rejected").Inc();
        Health.Metrics.WorkspaceValid.Set(0);
        var errors = state.Now.Errors;
        log.LogWarning("Workspace edit rejected, the last good workspace keeps running. {Count} error(s):{NewLine}{Errors}",
            errors.Count, Environment.NewLine, string.Join(Environment.NewLine, errors));
        return errors;
    }

    private FileSystemWatcher? Watch()
    {
        try
        {
            var w = new FileSystemWatcher(options.WorkspaceDirectory)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.DirectoryName,
            };
            FileSystemEventHandler poke = (_, e) =>
            {
                if (IsRelevant(e.FullPath) && changed.CurrentCount == 0)
                {
                    try
                    {
                        changed.Release();
                    }
                    catch (SemaphoreFullException)
                    {
                        // Already signalled: one reload covers every event of a burst.
                    }
                }
            };
            w.Changed += poke;
            w.Created += poke;
            w.Deleted += poke;
            w.Renamed += (s, e) => poke(s, e);
            w.EnableRaisingEvents = true;
            return w;
        }
        catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
        {
            log.LogWarning("Cannot watch {Directory} ({Error}); polling every {Interval} instead", options.WorkspaceDirectory, e.Message, options.ReloadPollInterval);
            return null;
        }
    }

    private static bool IsRelevant(string path) =>
        !path.Contains(Path.DirectorySeparatorChar + ".vigil", StringComparison.Ordinal)
        && (path.EndsWith(".yaml", StringComparison.Ordinal) || path.EndsWith(".md", StringComparison.Ordinal));

    // What decides "changed": vigil.yaml and the runbooks it may reference, by size and time.
    private string Stamp()
    {
        var dir = new DirectoryInfo(options.WorkspaceDirectory);
        if (!dir.Exists) return "";
        var files = dir.EnumerateFiles("*.*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, MaxRecursionDepth = 8 })
            .Where(f => IsRelevant(f.FullName))
            .OrderBy(f => f.FullName, StringComparer.Ordinal)
            .Select(f => $"{f.FullName}:{f.Length}:{f.LastWriteTimeUtc.Ticks}");
        return string.Join('|', files);
    }

    public override void Dispose()
    {
        changed.Dispose();
        base.Dispose();
    }
}

public static class WorkspaceReloadServices
{
    public static IServiceCollection AddVigilWorkspaceReload(this IServiceCollection services)
    {
        services.AddSingleton<WorkspaceReloader>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkspaceReloader>());
        return services;
    }
}

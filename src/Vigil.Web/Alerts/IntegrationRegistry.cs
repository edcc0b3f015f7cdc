using Microsoft.EntityFrameworkCore;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Heartbeats;
using Vigil.Web.Http;

namespace Vigil.Web.Alerts;

/// <summary>
/// The inbound integrations by key. A key written in the workspace is used as is; an integration without one gets a
/// generated key, stored in <c>integration_keys</c> so it survives restarts and is the same on every instance. Kept
/// in step with the workspace at start (before the server listens) and after every reload.
/// </summary>
public sealed class IntegrationRegistry(IDbContextFactory<VigilDbContext> dbFactory, WorkspaceState state, TimeProvider time, ILogger<IntegrationRegistry> log)
    : IHostedService
{
    private volatile Snapshot current = new(new Dictionary<string, Integration>(StringComparer.Ordinal), new Dictionary<string, string>(), new Dictionary<string, WindowLimiter>());

    /// <summary>The integration whose key this is, if it has the given type.</summary>
    public Integration? Find(string key, IntegrationType type) =>
        current.ByKey.TryGetValue(key, out var integration) && integration.Type == type ? integration : null;

    /// <summary>An integration's key (for admins).</summary>
    public string? KeyOf(string integrationId) => current.KeyOf.GetValueOrDefault(integrationId);

    /// <summary>Counts an event against the integration's <c>rate_limit</c>; false (and when to retry) when it is used up.</summary>
    public bool TryAcquire(Integration integration, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        return !current.Limiters.TryGetValue(integration.Id, out var limiter) || limiter.TryAcquire(integration.Id, out retryAfter);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await SyncAsync(state.Current, cancellationToken);
        state.Applied += OnApplied;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        state.Applied -= OnApplied;
        return Task.CompletedTask;
    }

    private void OnApplied(WorkspaceModel workspace) => _ = SyncAfterReloadAsync(workspace);

    private async Task SyncAfterReloadAsync(WorkspaceModel workspace)
    {
        try
        {
            await SyncAsync(workspace, CancellationToken.None);
        }
        catch (Exception e)
        {
            log.LogError(e, "Could not update the integration keys after the workspace reload; the next reload or restart tries again");
        }
    }

    /// <summary>Generates the missing keys and rebuilds the lookup.</summary>
    public async Task SyncAsync(WorkspaceModel workspace, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var stored = await db.IntegrationKeys.ToDictionaryAsync(k => k.IntegrationId, k => k.Key, ct);
        foreach (var i in workspace.Integrations.Where(i => i.Key is null && !stored.ContainsKey(i.Id)))
        {
            var key = HeartbeatService.GenerateKey();
            db.IntegrationKeys.Add(new IntegrationKey { IntegrationId = i.Id, Key = key, CreatedAt = time.GetUtcNow() });
            stored[i.Id] = key;
        }
        await db.SaveChangesAsync(ct);
        var byKey = new Dictionary<string, Integration>(StringComparer.Ordinal);
        var keyOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var limiters = new Dictionary<string, WindowLimiter>(StringComparer.Ordinal);
        foreach (var i in workspace.Integrations)
        {
            var key = i.Key ?? stored[i.Id];
            byKey[key] = i;
            keyOf[i.Id] = key;
            if (i.RateLimit is { } rate)
            {
                // Whole permits per window: a second for rates of one a second or more, else a minute.
                limiters[i.Id] = rate >= 1
                    ? new WindowLimiter((int)Math.Floor(rate), TimeSpan.FromSeconds(1), time)
                    : new WindowLimiter(Math.Max(1, (int)Math.Floor(rate * 60)), TimeSpan.FromMinutes(1), time);
            }
        }
        current = new Snapshot(byKey, keyOf, limiters);
    }

    private sealed record Snapshot(Dictionary<string, Integration> ByKey, Dictionary<string, string> KeyOf, Dictionary<string, WindowLimiter> Limiters);
}

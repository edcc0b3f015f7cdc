using Vigil.Core.Workspace;

namespace Vigil.Web.Heartbeats;

/// <summary>
/// Keeps the <c>heartbeats</c> table in step with the workspace (at startup, before the server
/// listens, and after every reload) and sweeps for late heartbeats every <see cref="SweepInterval"/>.
/// The loop survives any error: it logs and tries again on the next tick.
/// </summary>
public sealed class HeartbeatMonitor(HeartbeatService heartbeats, WorkspaceState state, TimeProvider time, ILogger<HeartbeatMonitor> log) : BackgroundService
{
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Generated keys must exist before the first ping can arrive.
        await heartbeats.SyncAsync(state.Current, cancellationToken);
        state.Applied += OnApplied;
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        state.Applied -= OnApplied;
        await base.StopAsync(cancellationToken);
    }

    private void OnApplied(WorkspaceModel workspace) => _ = SyncAfterReloadAsync(workspace);

    private async Task SyncAfterReloadAsync(WorkspaceModel workspace)
    {
        try
        {
            await heartbeats.SyncAsync(workspace, CancellationToken.None);
        }
        catch (Exception e)
        {
            log.LogError(e, "Could not update the heartbeats after the workspace reload; the next reload or restart tries again");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await heartbeats.SweepAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogError(e, "Heartbeat deadline sweep failed; retrying");
            }
            try
            {
                await Task.Delay(SweepInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

using Vigil.Core.Workspace;

namespace Vigil.Web.Heartbeats;

/// <summary>
/// Keeps the <c>heartbeats</c> table in step with the workspace (at startup, before the server
/// listens, and after every reload) and sweeps for late heartbeats every <see cref="SweepInterval"/>. A workspace
/// without heartbeat checks has nothing that can be late: the loop then sleeps until a reload instead of waking every
/// second for nothing. The loop survives any error: it logs and tries again on the next tick.
/// </summary>
public sealed class HeartbeatMonitor(HeartbeatService heartbeats, WorkspaceState state, TimeProvider time, ILogger<HeartbeatMonitor> log) : BackgroundService
{
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    // Completed by each applied reload; replaced by the loop once it has seen it.
    private TaskCompletionSource reloaded = NewSignal();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Generated keys must exist before the first ping can arrive.
        await heartbeats.SyncAsync(state.Current, cancellationToken);
        // Nothing sweeps or pings yet: the one moment a claim without its result can be told from one in flight.
        await heartbeats.ReclaimUnreportedLateAsync(cancellationToken);
        state.Applied += OnApplied;
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        state.Applied -= OnApplied;
        await base.StopAsync(cancellationToken);
    }

    private void OnApplied(WorkspaceModel workspace)
    {
        _ = SyncAfterReloadAsync(workspace);
        Volatile.Read(ref reloaded).TrySetResult();
    }

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
            // Taken before looking at the workspace, so a reload applied in between still wakes the wait below.
            var signal = Volatile.Read(ref reloaded);
            if (!HeartbeatService.HasHeartbeats(state.Current))
            {
                try
                {
                    await signal.Task.WaitAsync(stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                Interlocked.CompareExchange(ref reloaded, NewSignal(), signal);
                continue;
            }
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

namespace Vigil.Web.Notifications;

/// <summary>
/// A worker's wake-up call: <see cref="Set"/> from anywhere, <see cref="WaitAsync"/> until it is set or a delay (on
/// <see cref="TimeProvider"/>) passes. Several sets before a wait wake it once.
/// </summary>
public sealed class WakeSignal : IDisposable
{
    private readonly SemaphoreSlim semaphore = new(0, 1);

    public void Set()
    {
        if (semaphore.CurrentCount > 0) return;
        try
        {
            semaphore.Release();
        }
        catch (SemaphoreFullException)
        {
            // Set concurrently: already awake.
        }
    }

    public async Task WaitAsync(TimeSpan delay, TimeProvider time, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(delay, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            await semaphore.WaitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The delay passed.
        }
    }

    public void Dispose() => semaphore.Dispose();
}

/// <summary>
/// A background worker driven by due rows: it runs <see cref="RunOnceAsync"/>, then sleeps until the next row is due
/// (on <see cref="TimeProvider"/>) or until <see cref="Wake"/> says something new was committed. A failed pass is logged
/// and retried after 1 s, 2 s … up to a minute.
/// </summary>
public abstract class DueWorker(TimeProvider time, ILogger log, string what) : BackgroundService
{
    /// <summary>The longest sleep: rows made due by another instance are seen at most this late.</summary>
    public static readonly TimeSpan IdleCheck = TimeSpan.FromSeconds(30);

    private readonly WakeSignal wake = new();

    /// <summary>This worker's name in the claims it makes (<c>claimed_by</c>): unique to the process and the worker.</summary>
    protected string Instance { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    /// <summary>The clock the worker runs on.</summary>
    protected TimeProvider Time { get; } = time;

    /// <summary>Something was committed that may be due now: look at once.</summary>
    public virtual void Wake() => wake.Set();

    /// <summary>Handles what is due; returns how long until the next thing is due (zero: more is due now).</summary>
    public abstract Task<TimeSpan> RunOnceAsync(CancellationToken ct);

    /// <summary>The sleep until <paramref name="next"/> (none: <see cref="IdleCheck"/>), at least a few milliseconds and at most <see cref="IdleCheck"/>.</summary>
    protected TimeSpan Until(DateTimeOffset? next)
    {
        var wait = next is { } n ? n - Time.GetUtcNow() : IdleCheck;
        return wait <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(10) : wait < IdleCheck ? wait : IdleCheck;
    }

    public override void Dispose()
    {
        wake.Dispose();
        base.Dispose();
        GC.SuppressFinalize(this);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var next = await RunOnceAsync(stoppingToken);
                backoff = TimeSpan.FromSeconds(1);
                if (next > TimeSpan.Zero) await wake.WaitAsync(next, Time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogError(e, "{What} failed; retrying in {Backoff}", what, backoff);
                await wake.WaitAsync(backoff, Time, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromMinutes(1).Ticks));
            }
        }
    }
}

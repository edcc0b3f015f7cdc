using System.Collections.Concurrent;

namespace Vigil.Web.Hosting;

/// <summary>
/// Runs an async loop on a thread of its own: the loop and every continuation of its awaits run there, never on the
/// thread pool. For the database writers, whose batches are long stretches of synchronous work (SQLite's "async" calls
/// complete synchronously: statements, the commit's fsync, waits for the write lock).
/// </summary>
/// <remarks>
/// Measured in a burst of 1,000 new incidents on two cores: with the inbound writer on the thread pool, no other work
/// item completed for 20-50 ms at a time while a batch was being written (the pool's active-thread goal was taken by the
/// writer and another thread waiting for SQLite's lock), so requests' answers and notification sends queued behind
/// every batch; that was the burst's latency tail.
/// </remarks>
public static class WorkerThread
{
    /// <summary>Starts <paramref name="loop"/> on a new background thread named <paramref name="name"/>; the task completes
    /// (or fails) with the loop.</summary>
    public static Task Run(string name, Func<Task> loop)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            using var context = new SingleThreadContext();
            SynchronizationContext.SetSynchronizationContext(context);
            Task task;
            try
            {
                task = loop();
            }
            catch (Exception e)
            {
                task = Task.FromException(e);
            }
            task.ContinueWith(_ => context.Complete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            context.Pump();
            if (task.IsCanceled) done.TrySetCanceled();
            else if (task.Exception is { } failed) done.TrySetException(failed.InnerExceptions);
            else done.TrySetResult();
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>Continuations posted to it run, in order, on the one thread that pumps it.</summary>
    private sealed class SingleThreadContext : SynchronizationContext, IDisposable
    {
        private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> queue = new();

        public override void Post(SendOrPostCallback d, object? state)
        {
            try
            {
                queue.Add((d, state));
            }
            catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
            {
                // The loop has ended: a straggling continuation (a timer's, a cancellation's) runs on the pool instead.
                ThreadPool.UnsafeQueueUserWorkItem(s => d(s), state, preferLocal: false);
            }
        }

        public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("A worker thread's context takes posts only.");

        public override SynchronizationContext CreateCopy() => this;

        public void Complete() => queue.CompleteAdding();

        public void Pump()
        {
            foreach (var (callback, state) in queue.GetConsumingEnumerable()) callback(state);
        }

        public void Dispose() => queue.Dispose();
    }
}

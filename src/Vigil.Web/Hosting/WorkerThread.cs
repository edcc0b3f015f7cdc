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
    /// <summary>
    /// Completes a committed batch's waiters from one thread-pool work item: their continuations (answering senders) run
    /// there, not on the writer's thread, and it is one dispatch per batch instead of one per waiter (on a busy two-core
    /// server those wake-ups cost more than the answers). The writer's loop goes on at once. Waiters should be created
    /// without <see cref="TaskCreationOptions.RunContinuationsAsynchronously"/>, or each continuation is dispatched again.
    /// </summary>
    public static void Release(TaskCompletionSource[] waiters) =>
        ThreadPool.UnsafeQueueUserWorkItem(static items =>
        {
            foreach (var item in items) item.TrySetResult();
        }, waiters, preferLocal: false);

    /// <summary>Fails waiters as <see cref="Release"/> completes them, from one thread-pool work item.</summary>
    public static void Fail(TaskCompletionSource[] waiters, Exception error) =>
        ThreadPool.UnsafeQueueUserWorkItem(static failed =>
        {
            foreach (var item in failed.Waiters) item.TrySetException(failed.Error);
        }, (Waiters: waiters, Error: error), preferLocal: false);

    /// <summary>Starts <paramref name="loop"/> on a new background thread named <paramref name="name"/>; the task completes
    /// (or fails) with the loop.</summary>
    public static Task Run(string name, Func<Task> loop)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var context = new SingleThreadContext();
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
    /// <remarks>A plain monitor, not a BlockingCollection: its semaphore spins before it sleeps, and profiled, that spinning
    /// on every wake-up of an idle writer was a twentieth of the writer thread's time.</remarks>
    private sealed class SingleThreadContext : SynchronizationContext
    {
        private readonly Queue<(SendOrPostCallback Callback, object? State)> queue = new();
        private bool completed;

        public override void Post(SendOrPostCallback d, object? state)
        {
            lock (queue)
            {
                if (!completed)
                {
                    queue.Enqueue((d, state));
                    if (queue.Count == 1) Monitor.Pulse(queue);
                    return;
                }
            }
            // The loop has ended: a straggling continuation (a timer's, a cancellation's) runs on the pool instead.
            ThreadPool.UnsafeQueueUserWorkItem(s => d(s), state, preferLocal: false);
        }

        public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("A worker thread's context takes posts only.");

        public override SynchronizationContext CreateCopy() => this;

        public void Complete()
        {
            lock (queue)
            {
                completed = true;
                Monitor.Pulse(queue);
            }
        }

        /// <summary>Runs what is posted until <see cref="Complete"/> and the queue is empty.</summary>
        public void Pump()
        {
            while (true)
            {
                (SendOrPostCallback Callback, object? State) next;
                lock (queue)
                {
                    while (queue.Count == 0 && !completed) Monitor.Wait(queue);
                    if (queue.Count == 0) return;
                    next = queue.Dequeue();
                }
                next.Callback(next.State);
            }
        }
    }
}

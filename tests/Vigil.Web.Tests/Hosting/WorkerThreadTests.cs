using System.Threading.Channels;
using Vigil.Web.Hosting;

namespace Vigil.Web.Tests.Hosting;

public sealed class WorkerThreadTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_loop_and_every_continuation_of_its_awaits_run_on_its_own_thread_not_the_pool()
    {
        var queue = Channel.CreateUnbounded<int>();
        var seen = new List<(string? Name, bool Pool)>();
        var sum = 0;
        var loop = WorkerThread.Run("test writer", async () =>
        {
            seen.Add((Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread));
            while (await queue.Reader.WaitToReadAsync(Ct))
            {
                while (queue.Reader.TryRead(out var n)) sum += n;
                await Task.Delay(5, Ct); // a timer's continuation comes back here too
                seen.Add((Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread));
            }
        });
        for (var i = 1; i <= 10; i++)
        {
            await queue.Writer.WriteAsync(i, Ct);
            await Task.Delay(2, Ct);
        }
        queue.Writer.Complete();
        await loop.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.Equal(55, sum);
        Assert.True(seen.Count >= 2);
        Assert.All(seen, s => Assert.Equal(("test writer", false), s));
    }

    [Fact]
    public async Task A_loop_that_fails_fails_its_task_with_the_same_exception()
    {
        var loop = WorkerThread.Run("failing", async () =>
        {
            await Task.Yield();
            throw new InvalidOperationException("the database is gone");
        });
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => loop.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.Equal("the database is gone", e.Message);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => WorkerThread.Run("cancelled", () => Task.FromCanceled(new CancellationToken(true))));
    }
}

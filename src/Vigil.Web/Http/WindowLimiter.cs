using System.Collections.Concurrent;

namespace Vigil.Web.Http;

/// <summary>
/// Per-key fixed-window request limits, counted when a request arrives: at most <c>permits</c> per key in each
/// window of <c>window</c> (aligned to the clock). There is no timer: ASP.NET Core's partitioned limiter ticks every
/// 100 ms for the life of the process, which woke an idle server ten times a second. Stale keys are swept at most once
/// per window, by the first request of a new one, so memory is bounded by the keys seen in one window.
/// </summary>
public sealed class WindowLimiter(int permits, TimeSpan window, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Counter> counters = new(StringComparer.Ordinal);
    private long swept;

    public int Permits => permits;

    /// <summary>Keys counted now (for tests: stale keys are swept).</summary>
    public int Keys => counters.Count;

    /// <summary>Counts a request for <paramref name="key"/>; false (and when to retry) once its window is used up.</summary>
    public bool TryAcquire(string key, out TimeSpan retryAfter)
    {
        var now = time.GetUtcNow().UtcTicks;
        var start = now - now % window.Ticks;
        if (Interlocked.Read(ref swept) < start && Interlocked.Exchange(ref swept, start) < start)
        {
            foreach (var (k, c) in counters)
            {
                if (Volatile.Read(ref c.WindowStart) < start) counters.TryRemove(new KeyValuePair<string, Counter>(k, c));
            }
        }
        var counter = counters.GetOrAdd(key, static _ => new Counter());
        lock (counter)
        {
            if (counter.WindowStart != start)
            {
                counter.WindowStart = start;
                counter.Count = 0;
            }
            if (counter.Count >= permits)
            {
                retryAfter = TimeSpan.FromTicks(start + window.Ticks - now);
                return false;
            }
            counter.Count++;
        }
        retryAfter = TimeSpan.Zero;
        return true;
    }

    /// <summary>Tells a limited client when to come back: <c>Retry-After</c> in whole seconds, at least one.</summary>
    public static void SetRetryAfter(HttpResponse response, TimeSpan retryAfter) =>
        response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private sealed class Counter
    {
        public long WindowStart;
        public int Count;
    }
}

using Vigil.Core.Workspace;

namespace Vigil.Core.Checks.Heartbeat;

/// <summary>
/// When a heartbeat's next ping is expected and when it becomes late. Pure: the caller supplies
/// the clock. A <c>period</c> heartbeat expects a ping <c>period</c> after the last one; a
/// <c>schedule</c> heartbeat expects one at the next cron occurrence (in its time zone, so a
/// 02:30 job on a spring-forward day and a 02:30 job on a fall-back day are expected at the
/// instants Cronos defines for wall-clock time). Either way the job is late after <c>grace</c> more.
/// </summary>
public static class HeartbeatSchedule
{
    /// <summary>The next instant a ping is expected, counting from <paramref name="from"/> (the last ping, or when watching began).</summary>
    /// <param name="spec">The heartbeat.</param>
    /// <param name="from">The last ping, or the moment Vigil started watching a heartbeat that never pinged.</param>
    /// <param name="defaultTimezone">The workspace's time zone, for a schedule without its own.</param>
    public static DateTimeOffset NextExpected(HeartbeatCheckSpec spec, DateTimeOffset from, string defaultTimezone = "UTC")
    {
        if (spec.Schedule is { } cron)
        {
            var next = Crons.Parse(cron).GetNextOccurrence(from, Crons.FindZone(spec.Timezone ?? defaultTimezone));
            // An expression with no future occurrence (e.g. 30 February) never expects a ping.
            return next ?? DateTimeOffset.MaxValue;
        }
        return from + (spec.Period ?? throw new ArgumentException("a heartbeat needs a period or a schedule", nameof(spec)));
    }

    /// <summary>The deadline: the next expected ping plus grace. No ping by then means the job is late.</summary>
    public static DateTimeOffset Deadline(HeartbeatCheckSpec spec, DateTimeOffset from, string defaultTimezone = "UTC")
    {
        var expected = NextExpected(spec, from, defaultTimezone);
        return expected == DateTimeOffset.MaxValue || DateTimeOffset.MaxValue - expected <= spec.Grace ? DateTimeOffset.MaxValue : expected + spec.Grace;
    }

    /// <summary>The expectation in words: <c>a ping every 1m, late after 30s more</c>.</summary>
    public static string Describe(HeartbeatCheckSpec spec, string defaultTimezone = "UTC") =>
        spec.Schedule is { } cron
            ? $"a ping by cron \"{cron}\" ({spec.Timezone ?? defaultTimezone}), late after {Durations.Format(spec.Grace)} more"
            : $"a ping every {Durations.Format(spec.Period ?? TimeSpan.Zero)}, late after {Durations.Format(spec.Grace)} more";

    /// <summary>The message of a late heartbeat's down result.</summary>
    public static string LateMessage(DateTimeOffset expectedBy, DateTimeOffset? lastPing) =>
        $"late: expected a ping by {expectedBy.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z, last ping {(lastPing is { } p ? $"{p.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z" : "never")}";
}

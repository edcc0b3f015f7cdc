using Vigil.Core.Checks.Heartbeat;
using Vigil.Core.Workspace;

namespace Vigil.Core.Tests.Checks;

public sealed class HeartbeatScheduleTests
{
    private static DateTimeOffset Utc(string s) => DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void A_period_heartbeat_is_expected_one_period_after_the_last_ping_and_late_after_grace()
    {
        var spec = new HeartbeatCheckSpec { Period = TimeSpan.FromHours(1), Grace = TimeSpan.FromMinutes(10) };
        var last = Utc("2026-01-10T08:15:00Z");
        Assert.Equal(Utc("2026-01-10T09:15:00Z"), HeartbeatSchedule.NextExpected(spec, last));
        Assert.Equal(Utc("2026-01-10T09:25:00Z"), HeartbeatSchedule.Deadline(spec, last));
        Assert.Equal("a ping every 1h, late after 10m more", HeartbeatSchedule.Describe(spec));
    }

    [Fact]
    public void A_cron_heartbeat_follows_wall_clock_time_in_its_zone_across_the_spring_DST_change()
    {
        // 09:00 in Berlin is 08:00Z in winter (CET) and 07:00Z from 2026-03-29 (CEST).
        var spec = new HeartbeatCheckSpec { Schedule = "0 9 * * *", Timezone = "Europe/Berlin", Grace = TimeSpan.FromMinutes(30) };
        Assert.Equal(Utc("2026-03-28T08:00:00Z"), HeartbeatSchedule.NextExpected(spec, Utc("2026-03-28T07:00:00Z")));
        Assert.Equal(Utc("2026-03-29T07:00:00Z"), HeartbeatSchedule.NextExpected(spec, Utc("2026-03-28T08:00:05Z")));
        Assert.Equal(Utc("2026-03-29T07:30:00Z"), HeartbeatSchedule.Deadline(spec, Utc("2026-03-28T08:00:05Z")));

        // 02:30 does not exist on 2026-03-29 (02:00 → 03:00): the run is expected when the gap ends, 03:00 CEST.
        var night = spec with { Schedule = "30 2 * * *" };
        Assert.Equal(Utc("2026-03-29T01:00:00Z"), HeartbeatSchedule.NextExpected(night, Utc("2026-03-28T01:31:00Z")));
        Assert.Equal(Utc("2026-03-30T00:30:00Z"), HeartbeatSchedule.NextExpected(night, Utc("2026-03-29T01:00:01Z")));
    }

    [Fact]
    public void A_cron_heartbeat_follows_wall_clock_time_in_its_zone_across_the_autumn_DST_change()
    {
        // 09:00 in Berlin is 07:00Z in summer and 08:00Z from 2026-10-25 (CET).
        var spec = new HeartbeatCheckSpec { Schedule = "0 9 * * *", Timezone = "Europe/Berlin", Grace = TimeSpan.FromHours(1) };
        Assert.Equal(Utc("2026-10-24T07:00:00Z"), HeartbeatSchedule.NextExpected(spec, Utc("2026-10-24T06:00:00Z")));
        Assert.Equal(Utc("2026-10-25T08:00:00Z"), HeartbeatSchedule.NextExpected(spec, Utc("2026-10-24T07:00:05Z")));
        Assert.Equal(Utc("2026-10-25T09:00:00Z"), HeartbeatSchedule.Deadline(spec, Utc("2026-10-24T07:00:05Z")));

        // 02:30 happens twice on 2026-10-25 (03:00 CEST → 02:00 CET); a daily job is expected once, at the first.
        var night = spec with { Schedule = "30 2 * * *" };
        Assert.Equal(Utc("2026-10-25T00:30:00Z"), HeartbeatSchedule.NextExpected(night, Utc("2026-10-24T00:31:00Z")));
        Assert.Equal(Utc("2026-10-26T01:30:00Z"), HeartbeatSchedule.NextExpected(night, Utc("2026-10-25T00:30:05Z")));
    }

    [Fact]
    public void A_cron_heartbeat_without_its_own_zone_uses_the_workspace_zone()
    {
        var spec = new HeartbeatCheckSpec { Schedule = "0 17 * * SUN", Grace = TimeSpan.FromHours(1) };
        Assert.Equal(Utc("2026-07-05T17:00:00Z"), HeartbeatSchedule.NextExpected(spec, Utc("2026-07-01T00:00:00Z")));
        Assert.Equal(Utc("2026-07-05T15:00:00Z"), HeartbeatSchedule.NextExpected(spec, Utc("2026-07-01T00:00:00Z"), "Europe/Berlin"));
        Assert.Equal("a ping by cron \"0 17 * * SUN\" (Europe/Berlin), late after 1h more", HeartbeatSchedule.Describe(spec, "Europe/Berlin"));
    }

    [Fact]
    public void The_late_message_says_when_a_ping_was_expected_and_when_the_last_came()
    {
        Assert.Equal("late: expected a ping by 2026-01-10 09:15:00Z, last ping 2026-01-10 08:15:00Z",
            HeartbeatSchedule.LateMessage(Utc("2026-01-10T09:15:00Z"), Utc("2026-01-10T08:15:00Z")));
        Assert.Equal("late: expected a ping by 2026-01-10 09:15:00Z, last ping never", HeartbeatSchedule.LateMessage(Utc("2026-01-10T09:15:00Z"), null));
    }
}

using Vigil.Core.OnCall;
using Vigil.Core.Tests.Workspace;
using Vigil.Core.Workspace;

namespace Vigil.Core.Tests.OnCall;

public class OnCallCalendarTests
{
    private static readonly TimeSpan Cet = TimeSpan.FromHours(1);
    private static readonly TimeSpan Cest = TimeSpan.FromHours(2);

    /// <summary>A schedule read from vigil.yaml text, so the tests go through the loader as a user's file does.</summary>
    private static Schedule Read(string schedule, string users = "alice, bob, carol") =>
        TestWorkspace.Valid($"""
            name: Test
            users: [{string.Join(", ", users.Split(", ").Select(u => $"{{ id: {u} }}"))}]
            schedules:
            {schedule}
            """).Schedules.Single();

    private static Schedule Weekly(string timezone = "Europe/Berlin") => Read($$"""
          - id: primary
            timezone: {{timezone}}
            rotation: { every: 1w, handoff: "Mon 09:00", start: 2026-11-02, members: [alice, bob] }
        """);

    private static DateTimeOffset T(int y, int mo, int d, int h, int mi, TimeSpan offset) => new(y, mo, d, h, mi, 0, offset);

    private static Shift? At(Schedule s, DateTimeOffset at, params OverrideSpan[] overrides) => OnCallCalendar.At(s, overrides, at);

    [Fact]
    public void A_weekly_rotation_hands_off_on_monday_at_nine_local_in_member_order_and_has_nobody_before_its_start()
    {
        var s = Weekly();
        Assert.Null(At(s, T(2026, 11, 2, 8, 59, Cet)));
        Assert.Equal(new Shift("primary", "alice", T(2026, 11, 2, 9, 0, Cet), T(2026, 11, 9, 9, 0, Cet), "default"), At(s, T(2026, 11, 2, 9, 0, Cet)));
        Assert.Equal("bob", At(s, T(2026, 11, 9, 9, 0, Cet))!.User);
        Assert.Equal("alice", At(s, T(2026, 11, 16, 12, 0, Cet))!.User);
        Assert.Equal("bob", At(s, T(2027, 6, 8, 12, 0, Cest))!.User); // the 32nd turn (31 weeks and a day after the start)
    }

    [Fact]
    public void A_start_date_that_is_not_the_handoff_day_starts_the_first_turn_at_the_next_handoff()
    {
        var s = Read("""
              - id: primary
                timezone: UTC
                rotation: { every: 1w, handoff: "Mon 09:00", start: 2026-11-04, members: [alice, bob] }
            """);
        Assert.Null(At(s, T(2026, 11, 6, 12, 0, TimeSpan.Zero)));
        Assert.Equal(T(2026, 11, 9, 9, 0, TimeSpan.Zero), At(s, T(2026, 11, 10, 0, 0, TimeSpan.Zero))!.From);
        Assert.Equal("alice", At(s, T(2026, 11, 10, 0, 0, TimeSpan.Zero))!.User);
    }

    [Fact]
    public void Across_berlins_dst_changes_the_handoff_stays_at_nine_local_so_those_turns_are_an_hour_shorter_or_longer()
    {
        var s = Weekly();
        // Clocks go forward on Sunday 2027-03-28: the turn from Monday 22 March 09:00 CET to Monday 29 March 09:00 CEST is 167 h.
        var spring = At(s, T(2027, 3, 27, 12, 0, Cet))!;
        Assert.Equal((T(2027, 3, 22, 9, 0, Cet), T(2027, 3, 29, 9, 0, Cest)), (spring.From, spring.Until));
        Assert.Equal(TimeSpan.FromHours(167), spring.Until - spring.From);
        // Clocks go back on Sunday 2027-10-31: that turn is 169 h.
        var autumn = At(s, T(2027, 10, 30, 12, 0, Cest))!;
        Assert.Equal((T(2027, 10, 25, 9, 0, Cest), T(2027, 11, 1, 9, 0, Cet)), (autumn.From, autumn.Until));
        Assert.Equal(TimeSpan.FromHours(169), autumn.Until - autumn.From);
        Assert.NotEqual(spring.User, At(s, T(2027, 3, 29, 9, 0, Cest))!.User);
    }

    [Theory]
    // Europe/Berlin: 02:00-03:00 is skipped on 2027-03-28 and 02:00-03:00 repeated on 2027-10-31.
    [InlineData("Europe/Berlin", "02:30", "2027-03-28T03:30:00+02:00", "2027-03-29T02:30:00+02:00")]
    [InlineData("Europe/Berlin", "02:30", "2027-10-31T02:30:00+02:00", "2027-11-01T02:30:00+01:00")]
    // America/New_York: 02:00-03:00 is skipped on 2027-03-14 and 01:00-02:00 repeated on 2027-11-07.
    [InlineData("America/New_York", "02:30", "2027-03-14T03:30:00-04:00", "2027-03-15T02:30:00-04:00")]
    [InlineData("America/New_York", "01:30", "2027-11-07T01:30:00-04:00", "2027-11-08T01:30:00-05:00")]
    public void A_daily_handoff_in_the_skipped_hour_happens_when_the_clocks_jump_and_one_in_the_repeated_hour_at_its_first_occurrence(
        string timezone, string handoff, string expectedFrom, string expectedUntil)
    {
        var s = Read($$"""
              - id: primary
                timezone: {{timezone}}
                rotation: { every: 1d, handoff: "{{handoff}}", start: 2027-01-01, members: [alice, bob, carol] }
            """);
        var from = DateTimeOffset.Parse(expectedFrom, System.Globalization.CultureInfo.InvariantCulture);
        var shift = At(s, from.AddMinutes(1))!;
        Assert.Equal((from, DateTimeOffset.Parse(expectedUntil, System.Globalization.CultureInfo.InvariantCulture)), (shift.From, shift.Until));
        // One minute before the handoff the previous member is still on call, and the turn order holds.
        var before = At(s, from.AddMinutes(-1))!;
        Assert.Equal(from, before.Until);
        Assert.NotEqual(before.User, shift.User);
    }

    [Fact]
    public void A_twelve_hour_rotation_keeps_nine_and_twenty_one_local_across_a_dst_change()
    {
        var s = Read("""
              - id: primary
                timezone: America/New_York
                rotation: { every: 12h, handoff: "09:00", start: 2027-03-10, members: [alice, bob] }
            """);
        var shifts = OnCallCalendar.Shifts(s, [], T(2027, 3, 13, 9, 0, TimeSpan.FromHours(-5)), T(2027, 3, 15, 9, 0, TimeSpan.FromHours(-4)));
        Assert.Equal(
            ["09:00", "21:00", "09:00", "21:00"],
            shifts.Select(x => TimeZoneInfo.ConvertTime(x.From, TimeZoneInfo.FindSystemTimeZoneById("America/New_York")).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(TimeSpan.FromHours(11), shifts[1].Until - shifts[1].From); // 21:00 EST to 09:00 EDT
        Assert.Equal(["alice", "bob", "alice", "bob"], shifts.Select(x => x.User));
    }

    [Fact]
    public void The_first_layer_with_someone_on_call_wins_so_a_business_hours_layer_sits_over_an_always_on_layer()
    {
        var s = Read("""
              - id: ops
                timezone: Europe/Berlin
                layers:
                  - id: business
                    rotation:
                      every: 1w
                      handoff: "Mon 09:00"
                      start: 2026-11-02
                      members: [alice]
                      restrictions: [{ days: Mon-Fri, from: "09:00", until: "17:00" }]
                  - id: night
                    rotation: { every: 1w, handoff: "Mon 09:00", start: 2026-11-02, members: [bob, carol] }
            """);
        Assert.Equal(("alice", "business"), Who(s, T(2026, 11, 3, 10, 0, Cet)));
        Assert.Equal(("bob", "night"), Who(s, T(2026, 11, 3, 20, 0, Cet)));
        Assert.Equal(("bob", "night"), Who(s, T(2026, 11, 7, 12, 0, Cet))); // Saturday
        Assert.Equal(("carol", "night"), Who(s, T(2026, 11, 10, 20, 0, Cet)));

        var tuesday = OnCallCalendar.Shifts(s, [], T(2026, 11, 3, 0, 0, Cet), T(2026, 11, 4, 0, 0, Cet));
        Assert.Equal(
            [("bob", T(2026, 11, 3, 0, 0, Cet), T(2026, 11, 3, 9, 0, Cet)), ("alice", T(2026, 11, 3, 9, 0, Cet), T(2026, 11, 3, 17, 0, Cet)), ("bob", T(2026, 11, 3, 17, 0, Cet), T(2026, 11, 4, 0, 0, Cet))],
            tuesday.Select(x => (x.User, x.From, x.Until)));
        // The evening shift, asked for whole, runs from 17:00 to the next morning's business hours.
        Assert.Equal((T(2026, 11, 3, 17, 0, Cet), T(2026, 11, 4, 9, 0, Cet)), (At(s, T(2026, 11, 3, 20, 0, Cet))!.From, At(s, T(2026, 11, 3, 20, 0, Cet))!.Until));
    }

    [Fact]
    public void An_overnight_restriction_runs_into_the_next_day_and_outside_every_window_nobody_is_on_call()
    {
        var s = Read("""
              - id: nights
                timezone: UTC
                rotation:
                  every: 1d
                  handoff: "18:00"
                  start: 2026-11-02
                  members: [alice, bob]
                  restrictions: [{ days: [Fri], from: "18:00", until: "09:00" }]
            """);
        Assert.Equal("alice", At(s, T(2026, 11, 7, 8, 0, TimeSpan.Zero))!.User); // Saturday morning, in Friday night's window (the fifth turn)
        Assert.Equal((T(2026, 11, 6, 18, 0, TimeSpan.Zero), T(2026, 11, 7, 9, 0, TimeSpan.Zero)), (At(s, T(2026, 11, 7, 8, 0, TimeSpan.Zero))!.From, At(s, T(2026, 11, 7, 8, 0, TimeSpan.Zero))!.Until));
        Assert.Null(At(s, T(2026, 11, 7, 10, 0, TimeSpan.Zero)));
        Assert.Null(At(s, T(2026, 11, 5, 20, 0, TimeSpan.Zero))); // Thursday night
    }

    [Fact]
    public void An_override_beats_every_layer_a_later_override_beats_an_earlier_one_and_the_rotation_resumes_after()
    {
        var s = Weekly();
        var carol = new OverrideSpan(1, "carol", T(2026, 11, 3, 12, 0, Cet), T(2026, 11, 4, 12, 0, Cet));
        var bob = new OverrideSpan(2, "bob", T(2026, 11, 4, 0, 0, Cet), T(2026, 11, 4, 6, 0, Cet));
        Assert.Equal(new Shift("primary", "carol", carol.From, carol.Until, null, 1), At(s, T(2026, 11, 3, 18, 0, Cet), carol));
        Assert.Equal(("bob", (long?)2), (At(s, T(2026, 11, 4, 1, 0, Cet), carol, bob)!.User, At(s, T(2026, 11, 4, 1, 0, Cet), carol, bob)!.OverrideId));
        var day = OnCallCalendar.Shifts(s, [carol, bob], T(2026, 11, 3, 0, 0, Cet), T(2026, 11, 5, 0, 0, Cet));
        Assert.Equal(
            [("alice", "rotation", T(2026, 11, 3, 0, 0, Cet)), ("carol", "override", carol.From), ("bob", "override", bob.From), ("carol", "override", bob.Until), ("alice", "rotation", carol.Until)],
            day.Select(x => (x.User, x.Source, x.From)));
        Assert.Equal(T(2026, 11, 5, 0, 0, Cet), day[^1].Until);
    }

    [Fact]
    public void A_range_longer_than_the_limit_is_refused_and_an_empty_one_has_no_shifts()
    {
        var s = Weekly();
        Assert.Empty(OnCallCalendar.Shifts(s, [], T(2026, 12, 1, 0, 0, Cet), T(2026, 12, 1, 0, 0, Cet)));
        Assert.Throws<ArgumentOutOfRangeException>(() => OnCallCalendar.Shifts(s, [], T(2026, 12, 1, 0, 0, Cet), T(2029, 12, 1, 0, 0, Cet)));
        Assert.Equal(53, OnCallCalendar.Shifts(s, [], T(2026, 11, 2, 9, 0, Cet), T(2027, 11, 2, 9, 0, Cet)).Count(x => x.From >= T(2026, 11, 2, 9, 0, Cet)));
    }

    [Fact]
    public void The_loader_refuses_a_weekday_handoff_with_a_rotation_that_is_not_whole_weeks_and_bad_restrictions()
    {
        var errors = TestWorkspace.Errors("""
            name: Test
            users: [{ id: alice }]
            schedules:
              - id: primary
                rotation:
                  every: 1d
                  handoff: "Mon 09:00"
                  start: 2026-11-02
                  members: [alice]
                  restrictions: [{ days: [Mon-Funday], from: "9am", until: "17:00" }]
            """);
        Assert.True(errors.Length == 3, string.Join("\n", errors));
        Assert.Contains(errors, e => e.StartsWith("vigil.yaml:6:14: the rotation of schedule 'primary' hands off on a weekday but `every` is 1d, not whole weeks", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("vigil.yaml:10:31: `days`: 'Mon-Funday' is not a weekday or a range of them", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("`from`: '9am' is not a time of day", StringComparison.Ordinal));
    }

    private static (string, string?) Who(Schedule s, DateTimeOffset at)
    {
        var shift = At(s, at)!;
        return (shift.User, shift.Layer);
    }
}

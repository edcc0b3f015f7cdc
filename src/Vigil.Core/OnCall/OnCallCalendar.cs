using NodaTime;
using NodaTime.TimeZones;
using NodaTime.Utility;
using Vigil.Core.Workspace;

namespace Vigil.Core.OnCall;

/// <summary>A stretch of time during which one user is on call for a schedule.</summary>
/// <param name="Schedule">The schedule's id.</param>
/// <param name="User">Who is on call.</param>
/// <param name="From">Start, inclusive.</param>
/// <param name="Until">End, exclusive.</param>
/// <param name="Layer">The layer whose rotation put the user there, or null for an override.</param>
/// <param name="OverrideId">The override's id when it is one (null for a workspace override).</param>
public sealed record Shift(string Schedule, string User, DateTimeOffset From, DateTimeOffset Until, string? Layer, long? OverrideId = null)
{
    /// <summary><c>override</c> or <c>rotation</c>.</summary>
    public string Source => Layer is null ? "override" : "rotation";
}

/// <summary>A temporary swap: <paramref name="User"/> covers the whole schedule from <paramref name="From"/> to <paramref name="Until"/>.</summary>
/// <param name="Id">The stored override's id; null for one written in the workspace.</param>
/// <param name="User">Who covers.</param>
/// <param name="From">Start, inclusive.</param>
/// <param name="Until">End, exclusive.</param>
public sealed record OverrideSpan(long? Id, string User, DateTimeOffset From, DateTimeOffset Until);

/// <summary>
/// Who is on call when, for a schedule: each layer's rotation (members take turns, handing off at a local time that
/// stays put across DST changes) cut to its restrictions; the first layer with someone on call wins; an override beats
/// every layer, and a later override beats an earlier one. All local-time arithmetic is NodaTime's, in the schedule's zone.
/// </summary>
/// <remarks>
/// <para>A turn starts at the handoff's local time; a handoff that falls in a DST gap (the skipped hour) happens when the
/// clocks jump, as much later as the gap is long, and one in the repeated hour happens at its first occurrence.</para>
/// <para>Before its <c>start</c> a rotation has nobody on call: the date anchors the first member's turn.</para>
/// </remarks>
public static class OnCallCalendar
{
    /// <summary>The longest range <see cref="Shifts"/> computes (a calendar feed asks for a year or so).</summary>
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(800);

    /// <summary>The shifts of <paramref name="schedule"/> that overlap [<paramref name="from"/>, <paramref name="until"/>),
    /// cut to that range, in time order. Where nobody is on call there is no shift.</summary>
    public static IReadOnlyList<Shift> Shifts(Schedule schedule, IReadOnlyList<OverrideSpan> overrides, DateTimeOffset from, DateTimeOffset until)
    {
        if (until <= from) return [];
        if (until - from > MaxRange) throw new ArgumentOutOfRangeException(nameof(until), $"a range of at most {MaxRange.TotalDays:0} days");
        var zone = Zone(schedule.Timezone);
        var layers = schedule.Layers.Select(l => Coverage(l, zone, from, until)).ToList();
        var spans = overrides.Where(o => o.Until > from && o.From < until).ToList();

        var bounds = new SortedSet<DateTimeOffset> { from, until };
        foreach (var segment in layers.SelectMany(l => l)) { bounds.Add(segment.From); bounds.Add(segment.Until); }
        foreach (var o in spans) { bounds.Add(Max(o.From, from)); bounds.Add(Min(o.Until, until)); }

        var result = new List<Shift>();
        var cursor = new int[layers.Count];
        object? previousOwner = null;
        var edges = bounds.ToList();
        for (var i = 0; i + 1 < edges.Count; i++)
        {
            var (a, b) = (edges[i], edges[i + 1]);
            object? owner = null;
            Shift? winner = null;
            for (var o = spans.Count - 1; o >= 0; o--)
            {
                if (spans[o].From <= a && spans[o].Until >= b)
                {
                    owner = spans[o];
                    winner = new Shift(schedule.Id, spans[o].User, a, b, null, spans[o].Id);
                    break;
                }
            }
            for (var l = 0; winner is null && l < layers.Count; l++)
            {
                var segments = layers[l];
                while (cursor[l] < segments.Count && segments[cursor[l]].Until <= a) cursor[l]++;
                if (cursor[l] < segments.Count && segments[cursor[l]].From <= a)
                {
                    owner = segments[cursor[l]];
                    winner = new Shift(schedule.Id, segments[cursor[l]].User, a, b, schedule.Layers[l].Id);
                }
            }
            if (owner is not null && ReferenceEquals(owner, previousOwner) && result.Count > 0 && result[^1].Until == a)
            {
                result[^1] = result[^1] with { Until = b };
            }
            else if (winner is not null)
            {
                result.Add(winner);
            }
            previousOwner = owner;
        }
        return result;
    }

    /// <summary>The shift covering <paramref name="at"/>, whole (not cut), or null when nobody is on call then.</summary>
    public static Shift? At(Schedule schedule, IReadOnlyList<OverrideSpan> overrides, DateTimeOffset at)
    {
        // A shift is at most one turn, one restriction window or one override long: a window that wide on both sides
        // holds the whole shift.
        var reach = TimeSpan.FromDays(2);
        foreach (var layer in schedule.Layers) reach = Max(reach, layer.Rotation.Every + TimeSpan.FromDays(2));
        var from = at - reach;
        var until = at + reach;
        foreach (var o in overrides.Where(o => o.From <= at && o.Until > at))
        {
            from = Min(from, o.From);
            until = Max(until, o.Until);
        }
        if (until - from > MaxRange) (from, until) = (Max(from, at - MaxRange / 2), Min(until, at + MaxRange / 2));
        return Shifts(schedule, overrides, from, until).FirstOrDefault(s => s.From <= at && s.Until > at);
    }

    /// <summary>The IANA zone, as NodaTime knows it (the workspace validated the name).</summary>
    public static DateTimeZone Zone(string id) => DateTimeZoneProviders.Tzdb.GetZoneOrNull(id) ?? DateTimeZone.Utc;

    /// <summary>A layer's member on turn, cut to its restrictions, over [from, until).</summary>
    private static List<Segment> Coverage(ScheduleLayer layer, DateTimeZone zone, DateTimeOffset from, DateTimeOffset until)
    {
        var turns = Turns(layer.Rotation, zone, from, until);
        if (layer.Rotation.Restrictions.Count == 0) return turns;
        var windows = Windows(layer.Rotation.Restrictions, zone, from, until);
        return Intersect(turns, windows);
    }

    /// <summary>The rotation's turns overlapping [from, until).</summary>
    private static List<Segment> Turns(Rotation rotation, DateTimeZone zone, DateTimeOffset from, DateTimeOffset until)
    {
        var anchorDate = LocalDate.FromDateOnly(rotation.Start);
        if (rotation.HandoffDay is { } day)
        {
            var wanted = (int)day;
            var ahead = (wanted - (int)rotation.Start.DayOfWeek + 7) % 7;
            anchorDate = anchorDate.PlusDays(ahead);
        }
        var anchor = anchorDate.At(LocalTime.FromTimeOnly(rotation.HandoffTime));
        var every = rotation.Every.Ticks;
        DateTimeOffset StartOf(long k) => Resolve(zone, anchor.PlusTicks(k * every));

        // The turn holding `from`, found from local time and then settled on instants (a repeated hour can make the
        // local reading off by one turn).
        var localFrom = Instant.FromDateTimeOffset(from).InZone(zone).LocalDateTime;
        var k = FloorDiv(Ticks(localFrom) - Ticks(anchor), every);
        while (StartOf(k + 1) <= from) k++;
        while (k > 0 && StartOf(k) > from) k--;
        k = Math.Max(k, 0);

        var turns = new List<Segment>();
        for (var start = StartOf(k); start < until; k++)
        {
            var end = StartOf(k + 1);
            if (end > from && end > start) turns.Add(new Segment(rotation.Members[(int)(k % rotation.Members.Count)], Max(start, from), Min(end, until)));
            start = end;
        }
        return turns;
    }

    /// <summary>The restriction windows overlapping [from, until), merged where they touch or overlap.</summary>
    private static List<(DateTimeOffset From, DateTimeOffset Until)> Windows(IReadOnlyList<Restriction> restrictions, DateTimeZone zone, DateTimeOffset from, DateTimeOffset until)
    {
        var first = Instant.FromDateTimeOffset(from).InZone(zone).Date.PlusDays(-1);
        var last = Instant.FromDateTimeOffset(until).InZone(zone).Date;
        var raw = new List<(DateTimeOffset From, DateTimeOffset Until)>();
        for (var date = first; date <= last; date = date.PlusDays(1))
        {
            foreach (var r in restrictions)
            {
                if (!r.Days.Contains(BclConversions.ToDayOfWeek(date.DayOfWeek))) continue;
                var endDate = r.Until > r.From ? date : date.PlusDays(1);
                var a = Resolve(zone, date.At(LocalTime.FromTimeOnly(r.From)));
                var b = Resolve(zone, endDate.At(LocalTime.FromTimeOnly(r.Until)));
                if (b > from && a < until && b > a) raw.Add((Max(a, from), Min(b, until)));
            }
        }
        raw.Sort((x, y) => x.From.CompareTo(y.From));
        var merged = new List<(DateTimeOffset From, DateTimeOffset Until)>();
        foreach (var w in raw)
        {
            if (merged.Count > 0 && w.From <= merged[^1].Until) merged[^1] = (merged[^1].From, Max(merged[^1].Until, w.Until));
            else merged.Add(w);
        }
        return merged;
    }

    private static List<Segment> Intersect(List<Segment> turns, List<(DateTimeOffset From, DateTimeOffset Until)> windows)
    {
        var result = new List<Segment>();
        int t = 0, w = 0;
        while (t < turns.Count && w < windows.Count)
        {
            var a = Max(turns[t].From, windows[w].From);
            var b = Min(turns[t].Until, windows[w].Until);
            if (b > a) result.Add(new Segment(turns[t].User, a, b));
            if (turns[t].Until <= windows[w].Until) t++;
            else w++;
        }
        return result;
    }

    /// <summary>A local time in the zone: a skipped one moves forward by the gap, a repeated one takes its first occurrence.</summary>
    private static DateTimeOffset Resolve(DateTimeZone zone, LocalDateTime local) =>
        zone.ResolveLocal(local, Resolvers.LenientResolver).ToDateTimeOffset();

    private static long Ticks(LocalDateTime local) => local.InUtc().ToInstant().ToUnixTimeTicks();

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed record Segment(string User, DateTimeOffset From, DateTimeOffset Until);
}

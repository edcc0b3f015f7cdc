using System.Globalization;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using Ical.Net.Serialization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.OnCall;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Http;
using Vigil.Web.Security;

namespace Vigil.Web.OnCall;

/// <summary>Who is on call for a schedule at a moment (SPEC: <c>schedule</c>, <c>user</c>, <c>from</c>, <c>until</c>); <c>user</c> is null when nobody is.</summary>
public sealed record OnCallDto(string Schedule, string? User, DateTimeOffset? From, DateTimeOffset? Until, string? Layer, string? Source, long? OverrideId);

/// <summary>A shift of a schedule.</summary>
public sealed record ShiftDto(string User, DateTimeOffset From, DateTimeOffset Until, string? Layer, string Source, long? OverrideId);

public sealed record RestrictionDto(IReadOnlyList<string> Days, string From, string Until);

public sealed record LayerDto(string Id, string Every, string Handoff, DateOnly Start, IReadOnlyList<string> Members, IReadOnlyList<RestrictionDto> Restrictions);

/// <summary>An override; <c>id</c> is null and <c>source</c> is <c>workspace</c> for one written in vigil.yaml.</summary>
public sealed record OverrideDto(long? Id, string User, DateTimeOffset From, DateTimeOffset Until, string Source, string? CreatedBy, DateTimeOffset? CreatedAt, string? Reason);

public sealed record ScheduleSummaryDto(string Id, string? Name, string Timezone, OnCallDto OnCall);

public sealed record ScheduleDto(string Id, string? Name, string Timezone, IReadOnlyList<LayerDto> Layers, IReadOnlyList<OverrideDto> Overrides, OnCallDto OnCall, IReadOnlyList<ShiftDto> Shifts, string IcsUrl);

/// <summary>Body of <c>POST /api/v1/schedules/{id}/overrides</c>.</summary>
public sealed record CreateOverrideRequest(string? User, DateTimeOffset? From, DateTimeOffset? Until, string? Reason);

/// <summary>
/// The schedules of the workspace with their overrides from both places (vigil.yaml and the API), and who is on call.
/// Overrides are read from the database on each question, so every instance answers the same.
/// </summary>
public sealed class OnCallSchedules(WorkspaceState workspace, IDbContextFactory<VigilDbContext> dbFactory)
{
    public WorkspaceModel Workspace => workspace.Current;

    public Schedule? Find(string id) => workspace.Current.Schedules.FirstOrDefault(s => s.Id == id);

    /// <summary>The schedule's overrides that overlap [from, until): the workspace's first, then the stored ones oldest first (a later one wins).</summary>
    public async Task<IReadOnlyList<OverrideSpan>> OverridesAsync(Schedule schedule, DateTimeOffset from, DateTimeOffset until, CancellationToken ct)
    {
        // In UTC: PostgreSQL takes only UTC instants, and shift bounds come in the schedule's offset.
        (from, until) = (from.ToUniversalTime(), until.ToUniversalTime());
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var stored = await db.ScheduleOverrides.AsNoTracking()
            .Where(o => o.ScheduleId == schedule.Id && o.EndsAt > from && o.StartsAt < until)
            .OrderBy(o => o.Id).ToListAsync(ct);
        return [.. schedule.Overrides.Select(o => new OverrideSpan(null, o.User, o.From, o.Until)),
                .. stored.Select(o => new OverrideSpan(o.Id, o.UserId, o.StartsAt, o.EndsAt))];
    }

    /// <summary>Who is on call for the schedule at <paramref name="at"/>, or null.</summary>
    public async Task<Shift?> AtAsync(Schedule schedule, DateTimeOffset at, CancellationToken ct)
    {
        // Overrides covering `at` can be long; those are all that can widen the shift beyond a turn.
        var overrides = await OverridesAsync(schedule, at - OnCallCalendar.MaxRange / 2, at + OnCallCalendar.MaxRange / 2, ct);
        return OnCallCalendar.At(schedule, overrides, at);
    }

    public async Task<IReadOnlyList<Shift>> ShiftsAsync(Schedule schedule, DateTimeOffset from, DateTimeOffset until, CancellationToken ct) =>
        OnCallCalendar.Shifts(schedule, await OverridesAsync(schedule, from, until, ct), from, until);
}

/// <summary><c>/api/v1/oncall</c>, <c>/api/v1/schedules</c> (with overrides) and the iCalendar feeds.</summary>
public static class OnCallApi
{
    private static readonly TimeSpan DefaultShiftsRange = TimeSpan.FromDays(14);
    private static readonly TimeSpan MaxOverride = TimeSpan.FromDays(366);
    private static readonly TimeSpan FeedPast = TimeSpan.FromDays(30);
    private static readonly TimeSpan FeedAhead = TimeSpan.FromDays(180);
    private const int MaxReason = 2_000;

    public static IServiceCollection AddVigilOnCall(this IServiceCollection services)
    {
        services.AddSingleton<OnCallSchedules>();
        services.AddSingleton<HandoffNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<HandoffNotifier>());
        return services;
    }

    public static IEndpointRouteBuilder MapOnCallApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/oncall", async Task<IResult> (string? schedule, string? at, OnCallSchedules schedules, TimeProvider time, CancellationToken ct) =>
        {
            if (!TryInstant(at, "at", time.GetUtcNow(), out var when, out var error)) return error!;
            var list = schedules.Workspace.Schedules.Where(s => schedule is null || s.Id == schedule).ToList();
            if (schedule is not null && list.Count == 0) return Errors.NotFound(NoSchedule(schedules, schedule));
            var items = new List<OnCallDto>();
            foreach (var s in list) items.Add(ToOnCall(s.Id, await schedules.AtAsync(s, when, ct)));
            return TypedResults.Ok(new Page<OnCallDto>(items, items.Count, null));
        })
        .WithTags("On-call")
        .RequireRole(Role.Viewer)
        .WithSummary("Who is on call now (or ?at=ISO 8601) for every schedule, or for ?schedule=ID; user is null where nobody is")
        .Produces<Page<OnCallDto>>();

        var api = app.MapGroup("/api/v1/schedules").WithTags("On-call");

        api.MapGet("/", async Task<IResult> (OnCallSchedules schedules, TimeProvider time, CancellationToken ct) =>
        {
            var now = time.GetUtcNow();
            var items = new List<ScheduleSummaryDto>();
            foreach (var s in schedules.Workspace.Schedules)
                items.Add(new ScheduleSummaryDto(s.Id, s.Name, s.Timezone, ToOnCall(s.Id, await schedules.AtAsync(s, now, ct))));
            return TypedResults.Ok(new Page<ScheduleSummaryDto>(items, items.Count, null));
        })
        .RequireRole(Role.Viewer)
        .WithSummary("The schedules, each with who is on call now")
        .Produces<Page<ScheduleSummaryDto>>();

        api.MapGet("/{id}.ics", async Task<IResult> (string id, OnCallSchedules schedules, TimeProvider time, CancellationToken ct) =>
        {
            if (schedules.Find(id) is not { } s) return Errors.NotFound(NoSchedule(schedules, id));
            var now = time.GetUtcNow();
            var shifts = await schedules.ShiftsAsync(s, now - FeedPast, now + FeedAhead, ct);
            return Ics($"On call: {s.Name ?? s.Id}", shifts, now);
        })
        .RequireRole(Role.Viewer)
        .WithSummary("The schedule's shifts as an iCalendar feed (30 days back, 180 ahead); calendar apps may pass the token as ?token=")
        .Produces<string>(StatusCodes.Status200OK, "text/calendar");

        api.MapGet("/{id}", async Task<IResult> (string id, string? from, string? until, OnCallSchedules schedules, IDbContextFactory<VigilDbContext> dbFactory, TimeProvider time, HttpContext http, CancellationToken ct) =>
        {
            if (schedules.Find(id) is not { } s) return Errors.NotFound(NoSchedule(schedules, id));
            var now = time.GetUtcNow();
            if (!TryInstant(from, "from", now, out var start, out var error)) return error!;
            if (!TryInstant(until, "until", start + DefaultShiftsRange, out var end, out error)) return error!;
            if (end <= start) return Errors.BadRequest("until must be after from.");
            if (end - start > OnCallCalendar.MaxRange) return Errors.BadRequest($"Ask for at most {OnCallCalendar.MaxRange.TotalDays:0} days of shifts at a time.");
            var overrides = await OverridesForListingAsync(s, now, dbFactory, ct);
            var shifts = await schedules.ShiftsAsync(s, start, end, ct);
            var baseUrl = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";
            return TypedResults.Ok(new ScheduleDto(s.Id, s.Name, s.Timezone,
                [.. s.Layers.Select(ToLayer)], overrides, ToOnCall(s.Id, await schedules.AtAsync(s, now, ct)),
                [.. shifts.Select(ToShift)], $"{baseUrl}/api/v1/schedules/{Uri.EscapeDataString(s.Id)}.ics"));
        })
        .RequireRole(Role.Viewer)
        .WithSummary("A schedule: its layers, current and future overrides, who is on call now, and its shifts from ?from= (default now) to ?until= (default 14 days later)")
        .Produces<ScheduleDto>();

        api.MapPost("/{id}/overrides", async Task<IResult> (string id, CreateOverrideRequest body, OnCallSchedules schedules, IDbContextFactory<VigilDbContext> dbFactory, TimeProvider time, AuditLog audit, HttpContext http) =>
        {
            if (schedules.Find(id) is not { } s)
            {
                await audit.RecordAsync(http, "schedule.override.create", $"schedule:{id}", AuditLog.Failed, new { reason = "no such schedule" });
                return Errors.NotFound(NoSchedule(schedules, id));
            }
            var now = time.GetUtcNow();
            var problems = new Dictionary<string, object?>();
            if (string.IsNullOrWhiteSpace(body.User)) problems["user"] = "give the id of the user who covers, e.g. \"bob\"";
            else if (schedules.Workspace.Users.All(u => u.Id != body.User))
                problems["user"] = $"no user '{body.User}' in the workspace (users: {string.Join(", ", schedules.Workspace.Users.Select(u => u.Id))})";
            if (body.From is null) problems["from"] = "give from, ISO 8601 with an offset, e.g. 2026-11-20T09:00:00+01:00";
            if (body.Until is null) problems["until"] = "give until, ISO 8601 with an offset";
            if (body.From is { } f && body.Until is { } u)
            {
                if (u <= f) problems["until"] = "until must be after from";
                else if (u - f > MaxOverride) problems["until"] = "an override lasts at most 366 days";
                else if (u <= now) problems["until"] = "the override would already be over";
            }
            if (body.Reason is { Length: > MaxReason }) problems["reason"] = $"at most {MaxReason} characters";
            if (problems.Count > 0)
            {
                await audit.RecordAsync(http, "schedule.override.create", $"schedule:{id}", AuditLog.Failed, problems);
                return Errors.BadRequest("The override is invalid.", new Dictionary<string, object?> { ["errors"] = problems });
            }
            await using var db = await dbFactory.CreateDbContextAsync(http.RequestAborted);
            var row = new Storage.ScheduleOverride
            {
                ScheduleId = s.Id,
                UserId = body.User!,
                StartsAt = body.From!.Value.ToUniversalTime(),
                EndsAt = body.Until!.Value.ToUniversalTime(),
                CreatedBy = http.User.Identity?.Name ?? AuditLog.Actor(http),
                CreatedAt = now,
                Reason = body.Reason,
            };
            db.ScheduleOverrides.Add(row);
            await db.SaveChangesAsync(http.RequestAborted);
            await audit.RecordAsync(http, "schedule.override.create", $"schedule:{s.Id}", AuditLog.Ok, new { id = row.Id, user = row.UserId, from = row.StartsAt, until = row.EndsAt, reason = row.Reason });
            return TypedResults.Created($"/api/v1/schedules/{Uri.EscapeDataString(s.Id)}/overrides/{row.Id}", ToOverride(row));
        })
        .RequireRole(Role.Responder)
        .WithSummary("Put a user on call for the whole schedule from `from` until `until` (a swap, a holiday cover); a later override wins over an earlier one")
        .WithMetadata(new RequestSizeLimitAttribute(16 * 1024))
        .Produces<OverrideDto>(StatusCodes.Status201Created)
        .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapDelete("/{id}/overrides/{overrideId:long}", async Task<IResult> (string id, long overrideId, IDbContextFactory<VigilDbContext> dbFactory, AuditLog audit, HttpContext http) =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(http.RequestAborted);
            var deleted = await db.ScheduleOverrides.Where(o => o.Id == overrideId && o.ScheduleId == id).ExecuteDeleteAsync(http.RequestAborted);
            if (deleted == 0)
            {
                await audit.RecordAsync(http, "schedule.override.delete", $"schedule:{id}", AuditLog.Failed, new { id = overrideId, reason = "no such override" });
                return Errors.NotFound($"Schedule '{id}' has no override {overrideId} (overrides written in vigil.yaml are removed there).");
            }
            await audit.RecordAsync(http, "schedule.override.delete", $"schedule:{id}", AuditLog.Ok, new { id = overrideId });
            return TypedResults.NoContent();
        })
        .RequireRole(Role.Responder)
        .WithSummary("Remove an override made through the API");

        app.MapGet("/api/v1/users/{id}/oncall.ics", async Task<IResult> (string id, OnCallSchedules schedules, TimeProvider time, CancellationToken ct) =>
        {
            var user = schedules.Workspace.Users.FirstOrDefault(u => u.Id == id);
            if (user is null) return Errors.NotFound($"There is no user '{id}' in the workspace.");
            var now = time.GetUtcNow();
            var shifts = new List<Shift>();
            foreach (var s in schedules.Workspace.Schedules)
                shifts.AddRange((await schedules.ShiftsAsync(s, now - FeedPast, now + FeedAhead, ct)).Where(x => x.User == id));
            return Ics($"On call: {user.Name}", shifts, now);
        })
        .WithTags("On-call")
        .RequireRole(Role.Viewer)
        .WithSummary("A user's shifts across every schedule as an iCalendar feed; calendar apps may pass the token as ?token=")
        .Produces<string>(StatusCodes.Status200OK, "text/calendar");

        return app;
    }

    /// <summary>Overrides still running or to come: the workspace's and the stored ones.</summary>
    private static async Task<IReadOnlyList<OverrideDto>> OverridesForListingAsync(Schedule s, DateTimeOffset now, IDbContextFactory<VigilDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var stored = await db.ScheduleOverrides.AsNoTracking().Where(o => o.ScheduleId == s.Id && o.EndsAt > now).OrderBy(o => o.StartsAt).ThenBy(o => o.Id).ToListAsync(ct);
        return [.. s.Overrides.Where(o => o.Until > now).Select(o => new OverrideDto(null, o.User, o.From, o.Until, "workspace", null, null, null)),
                .. stored.Select(ToOverride)];
    }

    /// <summary>An iCalendar of shifts: one event per shift, with a UID that stays the same while the shift does.</summary>
    private static IResult Ics(string name, IEnumerable<Shift> shifts, DateTimeOffset now)
    {
        var calendar = new Ical.Net.Calendar { ProductId = "-//Vigil//On-call//EN" };
        calendar.AddProperty("X-WR-CALNAME", name);
        foreach (var shift in shifts.OrderBy(x => x.From))
        {
            calendar.Events.Add(new CalendarEvent
            {
                Uid = $"{shift.Schedule}-{shift.User}-{shift.From.ToUnixTimeSeconds()}-{shift.Until.ToUnixTimeSeconds()}@vigil",
                Summary = $"On call: {shift.User} ({shift.Schedule}{(shift.Layer is null or "default" ? "" : "/" + shift.Layer)}{(shift.Layer is null ? ", override" : "")})",
                Start = Utc(shift.From),
                End = Utc(shift.Until),
                DtStamp = Utc(now),
            });
        }
        return Results.Text(new CalendarSerializer().SerializeToString(calendar) ?? "", "text/calendar; charset=utf-8");
    }

    private static CalDateTime Utc(DateTimeOffset t) => new(t.UtcDateTime, "UTC");

    private static bool TryInstant(string? text, string name, DateTimeOffset fallback, out DateTimeOffset value, out IResult? error)
    {
        error = null;
        value = fallback;
        if (string.IsNullOrEmpty(text)) return true;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value))
        {
            // In UTC from here on: PostgreSQL takes only UTC instants.
            value = value.ToUniversalTime();
            return true;
        }
        error = Errors.BadRequest($"{name} must be an ISO 8601 date and time, e.g. 2026-11-20T09:00:00Z.");
        return false;
    }

    private static string NoSchedule(OnCallSchedules schedules, string id) =>
        $"There is no schedule '{id}' (schedules: {(schedules.Workspace.Schedules.Count == 0 ? "none" : string.Join(", ", schedules.Workspace.Schedules.Select(s => s.Id)))}).";

    private static OnCallDto ToOnCall(string schedule, Shift? shift) =>
        shift is null
            ? new OnCallDto(schedule, null, null, null, null, null, null)
            : new OnCallDto(schedule, shift.User, shift.From.ToUniversalTime(), shift.Until.ToUniversalTime(), shift.Layer, shift.Source, shift.OverrideId);

    private static ShiftDto ToShift(Shift s) => new(s.User, s.From.ToUniversalTime(), s.Until.ToUniversalTime(), s.Layer, s.Source, s.OverrideId);

    private static OverrideDto ToOverride(Storage.ScheduleOverride o) => new(o.Id, o.UserId, o.StartsAt, o.EndsAt, "api", o.CreatedBy, o.CreatedAt, o.Reason);

    private static LayerDto ToLayer(ScheduleLayer l)
    {
        var r = l.Rotation;
        var time = r.HandoffTime.ToString("HH:mm", CultureInfo.InvariantCulture);
        return new LayerDto(l.Id, Durations.Format(r.Every), r.HandoffDay is { } d ? $"{CultureInfo.InvariantCulture.DateTimeFormat.AbbreviatedDayNames[(int)d]} {time}" : time,
            r.Start, r.Members,
            [.. r.Restrictions.Select(x => new RestrictionDto([.. x.Days.Select(d => CultureInfo.InvariantCulture.DateTimeFormat.AbbreviatedDayNames[(int)d])],
                x.From.ToString("HH:mm", CultureInfo.InvariantCulture), x.Until.ToString("HH:mm", CultureInfo.InvariantCulture)))]);
    }
}

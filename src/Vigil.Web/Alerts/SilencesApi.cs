using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Alerts;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Hosting;
using Vigil.Web.Http;
using Vigil.Web.Security;

namespace Vigil.Web.Alerts;

/// <summary>A silence as the API shows it; <c>state</c> is <c>pending</c>, <c>active</c> or <c>expired</c>.</summary>
public sealed record SilenceDto(long Id, IReadOnlyList<SilenceMatcher> Matchers, DateTimeOffset StartsAt, DateTimeOffset EndsAt, string State, string CreatedBy, DateTimeOffset CreatedAt, string? Comment);

/// <summary>Body of <c>POST /api/v1/silences</c>: matchers and an end (<c>ends_at</c>, or <c>duration</c> from the start).</summary>
public sealed record CreateSilenceRequest(IReadOnlyList<SilenceMatcher>? Matchers, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, string? Duration, string? Comment);

/// <summary>Silences: while one is active, alerts whose labels it matches are recorded (incidents too, marked suppressed) but page nobody.</summary>
public sealed class Silences(IDbContextFactory<VigilDbContext> dbFactory, TimeProvider time)
{
    /// <summary>The silences in force at <paramref name="at"/>, with their matchers.</summary>
    public static async Task<List<(long Id, IReadOnlyList<SilenceMatcher> Matchers)>> ActiveAsync(VigilDbContext db, DateTimeOffset at, CancellationToken ct)
    {
        var active = new List<(long, IReadOnlyList<SilenceMatcher>)>();
        var query = ActiveRows.GetValue(db.Model, static _ => EF.CompileAsyncQuery(
            (VigilDbContext c, DateTimeOffset t) => c.Silences.AsNoTracking().Where(s => s.StartsAt <= t && s.EndsAt > t).Select(s => new ActiveRow(s.Id, s.Matchers))));
        await foreach (var row in query(db, at).WithCancellation(ct)) active.Add((row.Id, Parse(row.Matchers)));
        return active;
    }

    // Compiled once per model (a compiled query serves one; SQLite's and PostgreSQL's differ): the writers read the
    // active silences for every batch that fires alerts, and translating the LINQ query each time was ~12% of the
    // inbound writer's thread in a burst of new incidents (perf).
    private static readonly ConditionalWeakTable<Microsoft.EntityFrameworkCore.Metadata.IModel, Func<VigilDbContext, DateTimeOffset, IAsyncEnumerable<ActiveRow>>> ActiveRows = new();

    private sealed record ActiveRow(long Id, string Matchers);

    /// <summary>Why an alert with these labels on this service pages nobody now (a window, or one of the active silences read by <see cref="ActiveAsync"/>), or null.</summary>
    public static string? Reason(WorkspaceModel w, string? serviceId, IReadOnlyDictionary<string, string> labels, DateTimeOffset at, IEnumerable<(long Id, IReadOnlyList<SilenceMatcher> Matchers)> active)
    {
        if (Suppression.OpenWindow(w, serviceId, at) is { } window) return $"maintenance window {window.Id ?? window.Cron} of {serviceId}";
        foreach (var (id, matchers) in active)
            if (Suppression.Matches(matchers, labels)) return $"silence {id}";
        return null;
    }

    /// <summary>The services in maintenance now: an open window, or an active silence that matches the service as a whole.</summary>
    public async Task<HashSet<string>> InMaintenanceAsync(WorkspaceModel w, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var result = w.Services.Where(s => Suppression.OpenWindow(w, s.Id, now) is not null).Select(s => s.Id).ToHashSet();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var active = await ActiveAsync(db, now, ct);
        foreach (var s in w.Services)
        {
            var labels = new Dictionary<string, string> { ["service"] = s.Id };
            // Only matchers on the service itself: a silence of one check does not put the service in maintenance.
            if (active.Any(a => a.Matchers.All(m => m.Name == "service") && Suppression.Matches(a.Matchers, labels))) result.Add(s.Id);
        }
        return result;
    }

    public static IReadOnlyList<SilenceMatcher> Parse(string json) => JsonSerializer.Deserialize<List<SilenceMatcher>>(json, Json.Options) ?? [];

    public static string State(Silence s, DateTimeOffset now) => s.StartsAt > now ? "pending" : s.EndsAt > now ? "active" : "expired";
}

/// <summary><c>/api/v1/silences</c>: list, create, end early.</summary>
public static class SilencesApi
{
    private const int MaxMatchers = 20;
    private const int MaxComment = 2_000;
    private static readonly TimeSpan MaxLength = TimeSpan.FromDays(366);

    public static IServiceCollection AddVigilAlerts(this IServiceCollection services) => services.AddSingleton<Silences>();

    public static IEndpointRouteBuilder MapSilencesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/silences").WithTags("Silences");

        api.MapGet("/", async Task<IResult> (string? state, int? limit, string? cursor, IDbContextFactory<VigilDbContext> dbFactory, TimeProvider time, CancellationToken ct) =>
        {
            if (!PageRequest.TryParse(limit, cursor, out var page, out var error)) return error!;
            if (state is not (null or "active" or "pending" or "expired")) return Errors.BadRequest("state must be active, pending or expired.");
            if (!page.TryAfterId(out var before, out error)) return error!;
            var now = time.GetUtcNow();
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var q = db.Silences.AsNoTracking().AsQueryable();
            q = state switch
            {
                "active" => q.Where(s => s.StartsAt <= now && s.EndsAt > now),
                "pending" => q.Where(s => s.StartsAt > now),
                "expired" => q.Where(s => s.EndsAt <= now),
                _ => q,
            };
            var total = await q.CountAsync(ct);
            if (before is { } id) q = q.Where(s => s.Id < id);
            var rows = await q.OrderByDescending(s => s.Id).Take(page.Limit + 1).ToListAsync(ct);
            var more = rows.Count > page.Limit;
            if (more) rows.RemoveAt(page.Limit);
            return TypedResults.Ok(new Page<SilenceDto>([.. rows.Select(s => ToDto(s, now))], total,
                more ? PageRequest.Cursor(rows[^1].Id.ToString(CultureInfo.InvariantCulture)) : null));
        })
        .RequireRole(Role.Viewer)
        .WithSummary("List silences, newest first; filter by state (active, pending, expired)")
        .Produces<Page<SilenceDto>>();

        api.MapPost("/", async Task<IResult> (CreateSilenceRequest body, IDbContextFactory<VigilDbContext> dbFactory, TimeProvider time, AuditLog audit, HttpContext http) =>
        {
            var now = time.GetUtcNow();
            var problems = new Dictionary<string, object?>();
            var matchers = body.Matchers ?? [];
            if (matchers.Count is 0 or > MaxMatchers) problems["matchers"] = $"give 1 to {MaxMatchers} matchers, e.g. [{{\"name\": \"service\", \"value\": \"backend\"}}]";
            else if (matchers.Select(m => m.Problem()).FirstOrDefault(p => p is not null) is { } bad) problems["matchers"] = bad;
            var starts = body.StartsAt ?? now;
            DateTimeOffset? ends = body.EndsAt;
            if (body.Duration is not null)
            {
                if (body.EndsAt is not null) problems["duration"] = "give ends_at or duration, not both";
                else if (Durations.TryParse(body.Duration, out var d, out _) && d > TimeSpan.Zero) ends = starts + d;
                else problems["duration"] = $"'{body.Duration}' is not a duration such as 2h or 30m";
            }
            if (ends is null && !problems.ContainsKey("duration")) problems["ends_at"] = "give ends_at (ISO 8601) or duration (2h)";
            else if (ends is { } e && e <= starts) problems["ends_at"] = "ends_at must be after starts_at";
            else if (ends is { } e2 && e2 - starts > MaxLength) problems["ends_at"] = "a silence lasts at most 366 days";
            if (ends is { } e3 && e3 <= now && !problems.ContainsKey("ends_at")) problems["ends_at"] = "the silence would already be over";
            if (body.Comment is { Length: > MaxComment }) problems["comment"] = $"at most {MaxComment} characters";
            if (problems.Count > 0)
            {
                await audit.RecordAsync(http, "silence.create", null, AuditLog.Failed, problems);
                return Errors.BadRequest("The silence is invalid.", new Dictionary<string, object?> { ["errors"] = problems });
            }
            await using var db = await dbFactory.CreateDbContextAsync(http.RequestAborted);
            var silence = new Silence
            {
                Matchers = JsonSerializer.Serialize(matchers, Json.Options),
                StartsAt = starts,
                EndsAt = ends!.Value,
                CreatedBy = http.User.Identity?.Name ?? AuditLog.Actor(http),
                CreatedAt = now,
                Comment = body.Comment,
            };
            db.Silences.Add(silence);
            await db.SaveChangesAsync(http.RequestAborted);
            await audit.RecordAsync(http, "silence.create", $"silence:{silence.Id}", AuditLog.Ok, new { matchers, starts_at = starts, ends_at = ends });
            return TypedResults.Created($"/api/v1/silences/{silence.Id}", ToDto(silence, now));
        })
        .RequireRole(Role.Responder)
        .WithSummary("Silence alerts whose labels match, from starts_at (default now) until ends_at or for duration")
        .WithMetadata(new RequestSizeLimitAttribute(64 * 1024))
        .Produces<SilenceDto>(StatusCodes.Status201Created)
        .ProducesProblem(StatusCodes.Status400BadRequest);

        api.MapDelete("/{id:long}", async Task<IResult> (long id, IDbContextFactory<VigilDbContext> dbFactory, TimeProvider time, AuditLog audit, HttpContext http) =>
        {
            var now = time.GetUtcNow();
            await using var db = await dbFactory.CreateDbContextAsync(http.RequestAborted);
            var silence = await db.Silences.FirstOrDefaultAsync(s => s.Id == id, http.RequestAborted);
            if (silence is null)
            {
                await audit.RecordAsync(http, "silence.end", $"silence:{id}", AuditLog.Failed, new { reason = "no such silence" });
                return Errors.NotFound($"There is no silence {id}.");
            }
            if (silence.EndsAt > now)
            {
                silence.EndsAt = silence.StartsAt > now ? silence.StartsAt : now;
                await db.SaveChangesAsync(http.RequestAborted);
            }
            await audit.RecordAsync(http, "silence.end", $"silence:{id}", AuditLog.Ok);
            return TypedResults.NoContent();
        })
        .RequireRole(Role.Responder)
        .WithSummary("End a silence now (a pending one never starts)");

        return app;
    }

    private static SilenceDto ToDto(Silence s, DateTimeOffset now) =>
        new(s.Id, Silences.Parse(s.Matchers), s.StartsAt, s.EndsAt, Silences.State(s, now), s.CreatedBy, s.CreatedAt, s.Comment);
}

using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Incidents;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Escalation;
using Vigil.Web.Http;
using Vigil.Web.Notifications;
using Vigil.Web.Security;

namespace Vigil.Web.Incidents;

/// <summary>The runbook an incident links.</summary>
public sealed record RunbookDto(string? Path, string? Section, string? Url);

/// <summary>An incident as the API shows it (SPEC's shape plus summary, ack_due_at and suppressed).</summary>
public sealed record IncidentDto(
    long Id, string Title, string? Summary, string? Service, string Severity, string Status, string? DedupKey, string? Assignee,
    DateTimeOffset OpenedAt, DateTimeOffset? AcknowledgedAt, DateTimeOffset? ResolvedAt, DateTimeOffset? AckDueAt, bool ResponseMissed,
    bool Suppressed, RunbookDto? Runbook);

/// <summary>One timeline entry: <c>at</c>, <c>kind</c>, <c>actor</c>, <c>text</c>, <c>data</c>.</summary>
public sealed record TimelineEntryDto(long Id, DateTimeOffset At, string Kind, string Actor, string Text, JsonElement? Data);

/// <summary>Body of <c>POST /api/v1/incidents</c>.</summary>
public sealed record CreateIncidentRequest(string? Title, string? Severity, string? Service, string? Summary, string? DedupKey, string? Assignee, string? Runbook);

/// <summary>Body of <c>PATCH /api/v1/incidents/{id}</c>: only the fields given change.</summary>
public sealed record PatchIncidentRequest(string? Title, string? Summary, string? Severity, string? Assignee);

/// <summary>Body of <c>POST /api/v1/incidents/{id}/notes</c>, and the optional body of the status actions.</summary>
public sealed record NoteRequest(string? Text);

/// <summary><c>/api/v1/incidents</c>: list, read, open by hand, and move through triggered → acknowledged → resolved.</summary>
public static class IncidentsApi
{
    private const int MaxTitle = 300;
    private const int MaxText = 10_000;
    private static readonly string[] Actions = ["acknowledge", "unacknowledge", "resolve", "reopen"];
    private static readonly string[] StatusFilters = ["open", "triggered", "acknowledged", "resolved"];

    public static IServiceCollection AddVigilIncidents(this IServiceCollection services)
    {
        services.AddSingleton<IncidentStore>();
        services.AddSingleton<ResponseDeadlines>();
        services.AddHostedService(sp => sp.GetRequiredService<ResponseDeadlines>());
        return services;
    }

    public static IEndpointRouteBuilder MapIncidentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/incidents").WithTags("Incidents");

        api.MapGet("/", async Task<IResult> (string? status, string? service, string? severity, int? limit, string? cursor, IncidentStore store, WorkspaceState ws, CancellationToken ct) =>
        {
            if (!PageRequest.TryParse(limit, cursor, out var page, out var error)) return error!;
            if (status is not null && !StatusFilters.Contains(status)) return Errors.BadRequest($"status must be one of {string.Join(", ", StatusFilters)}.");
            if (!page.TryAfterId(out var before, out error)) return error!;
            await using var db = await store.ContextAsync(ct);
            var q = db.Incidents.AsNoTracking().AsQueryable();
            q = status switch
            {
                "open" => q.Where(i => i.Status != IncidentStore.Resolved),
                null => q,
                _ => q.Where(i => i.Status == status),
            };
            if (!string.IsNullOrEmpty(service)) q = q.Where(i => i.ServiceId == service);
            if (!string.IsNullOrEmpty(severity)) q = q.Where(i => i.Severity == severity);
            var total = await q.CountAsync(ct);
            if (before is { } id) q = q.Where(i => i.Id < id);
            var rows = await q.OrderByDescending(i => i.Id).Take(page.Limit + 1).ToListAsync(ct);
            var more = rows.Count > page.Limit;
            if (more) rows.RemoveAt(page.Limit);
            var w = ws.Current;
            return TypedResults.Ok(new Page<IncidentDto>([.. rows.Select(i => ToDto(i, w))], total,
                more ? PageRequest.Cursor(rows[^1].Id.ToString(CultureInfo.InvariantCulture)) : null));
        })
        .RequireRole(Role.Viewer)
        .WithSummary("List incidents, newest first; filter by status (open = not resolved), service and severity")
        .Produces<Page<IncidentDto>>();

        api.MapGet("/{id:long}", async Task<IResult> (long id, IncidentStore store, WorkspaceState ws, CancellationToken ct) =>
        {
            await using var db = await store.ContextAsync(ct);
            var incident = await db.Incidents.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id, ct);
            return incident is null ? NotFound(id) : TypedResults.Ok(ToDto(incident, ws.Current));
        })
        .RequireRole(Role.Viewer)
        .WithSummary("One incident")
        .Produces<IncidentDto>();

        api.MapGet("/{id:long}/timeline", async Task<IResult> (long id, int? limit, string? cursor, IncidentStore store, CancellationToken ct) =>
        {
            if (!PageRequest.TryParse(limit, cursor, out var page, out var error)) return error!;
            if (!page.TryAfterId(out var afterId, out error)) return error!;
            var after = afterId ?? 0;
            await using var db = await store.ContextAsync(ct);
            if (!await db.Incidents.AnyAsync(i => i.Id == id, ct)) return NotFound(id);
            var q = db.IncidentTimeline.AsNoTracking().Where(e => e.IncidentId == id);
            var total = await q.CountAsync(ct);
            var rows = await q.Where(e => e.Id > after).OrderBy(e => e.Id).Take(page.Limit + 1).ToListAsync(ct);
            var more = rows.Count > page.Limit;
            if (more) rows.RemoveAt(page.Limit);
            return TypedResults.Ok(new Page<TimelineEntryDto>([.. rows.Select(e => new TimelineEntryDto(e.Id, e.At, e.Kind, e.Actor, e.Text,
                e.Data is null ? null : JsonDocument.Parse(e.Data).RootElement.Clone()))], total,
                more ? PageRequest.Cursor(rows[^1].Id.ToString(CultureInfo.InvariantCulture)) : null));
        })
        .RequireRole(Role.Viewer)
        .WithSummary("An incident's timeline, oldest first: alerts, status changes, notes, severity changes, pages and runbook steps")
        .Produces<Page<TimelineEntryDto>>();

        api.MapPost("/", async Task<IResult> (CreateIncidentRequest body, IncidentStore store, WorkspaceState ws, AuditLog audit, Paging notifications, HttpContext http) =>
        {
            var w = ws.Current;
            var problems = new Dictionary<string, object?>();
            var title = body.Title?.Trim();
            if (string.IsNullOrEmpty(title) || title.Length > MaxTitle) problems["title"] = $"give the incident a title of 1 to {MaxTitle} characters";
            var severity = body.Severity ?? (w.Severities.Count > 0 ? w.Severities[0].Id : null);
            if (severity is null || w.Severities.All(s => s.Id != severity))
                problems["severity"] = w.Severities.Count == 0 ? "the workspace defines no severities; add `severities:` to vigil.yaml" : $"severity must be one of {string.Join(", ", w.Severities.Select(s => s.Id))}";
            var service = body.Service is null ? null : w.FindService(body.Service);
            if (body.Service is not null && service is null) problems["service"] = $"no service '{body.Service}' in the workspace";
            if (body.Summary is { Length: > MaxText }) problems["summary"] = $"at most {MaxText} characters";
            if (body.Assignee is not null && w.Users.All(u => u.Id != body.Assignee)) problems["assignee"] = $"no user '{body.Assignee}' in the workspace";
            if (problems.Count > 0)
            {
                await audit.RecordAsync(http, "incident.create", null, AuditLog.Failed, problems);
                return Errors.BadRequest("The incident is invalid.", new Dictionary<string, object?> { ["errors"] = problems });
            }
            var ct = http.RequestAborted;
            await using var db = await store.ContextAsync(ct);
            var dedup = string.IsNullOrWhiteSpace(body.DedupKey) ? null : body.DedupKey.Trim();
            if (dedup is not null && await IncidentStore.OpenIncidentAsync(db, dedup, ct) is { } open)
            {
                await audit.RecordAsync(http, "incident.create", $"incident:{open.Id}", AuditLog.Failed, new { reason = "an incident with this dedup key is open", dedup_key = dedup });
                return Errors.Problem("Conflict", 409, $"Incident {open.Id} with dedup key '{dedup}' is open; add to it, or resolve it first.", new Dictionary<string, object?> { ["incident"] = open.Id });
            }
            var actor = Actor(http);
            var incident = store.Open(w, service, null, severity!, title!, body.Summary, dedup, RunbookLink.Resolve(body.Runbook, service?.Runbook, w));
            incident.Assignee = body.Assignee;
            incident.Timeline.Add(store.Entry("triggered", actor, $"Opened by hand: {title}"));
            db.Incidents.Add(incident);
            await using (var tx = await db.Database.BeginTransactionAsync(ct))
            {
                await db.SaveChangesAsync(ct);
                // With its id now: its notifications are committed with it.
                Outbox.Enqueue(db, w, incident, "triggered", store.Now);
                Escalations.Start(db, w, incident, store.Now);
                await db.SaveChangesAsync(ct);
                await tx.CommitAsync(ct);
            }
            notifications.Wake();
            await audit.RecordAsync(http, "incident.create", $"incident:{incident.Id}", AuditLog.Ok, new { title, severity, service = service?.Id, dedup_key = dedup });
            return TypedResults.Created($"/api/v1/incidents/{incident.Id}", ToDto(incident, w));
        })
        .RequireRole(Role.Responder)
        .WithSummary("Open an incident by hand")
        .WithMetadata(new RequestSizeLimitAttribute(64 * 1024))
        .Produces<IncidentDto>(StatusCodes.Status201Created)
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status409Conflict);

        foreach (var action in Actions)
        {
            api.MapPost($"/{{id:long}}/{action}", (long id, [FromBody] NoteRequest? body, IncidentStore store, WorkspaceState ws, AuditLog audit, HttpContext http) =>
                ChangeStatusAsync(id, action, body?.Text, store, ws, audit, http))
            .RequireRole(Role.Responder)
            .WithSummary(action switch
            {
                "acknowledge" => "Acknowledge: someone is on it (stops escalation)",
                "unacknowledge" => "Hand an acknowledged incident back to triggered",
                "resolve" => "Resolve the incident",
                _ => "Reopen a resolved incident",
            })
            .WithMetadata(new RequestSizeLimitAttribute(64 * 1024))
            .Produces<IncidentDto>()
            .ProducesProblem(StatusCodes.Status409Conflict);
        }

        api.MapPost("/{id:long}/notes", async Task<IResult> (long id, NoteRequest body, IncidentStore store, WorkspaceState ws, AuditLog audit, HttpContext http) =>
        {
            var text = body.Text?.Trim();
            if (string.IsNullOrEmpty(text) || text.Length > MaxText)
            {
                await audit.RecordAsync(http, "incident.note", $"incident:{id}", AuditLog.Failed, new { reason = "empty or too long" });
                return Errors.BadRequest($"text: write a note of 1 to {MaxText} characters.");
            }
            var ct = http.RequestAborted;
            await using var db = await store.ContextAsync(ct);
            var incident = await db.Incidents.FirstOrDefaultAsync(i => i.Id == id, ct);
            if (incident is null) return NotFound(id);
            var entry = store.Entry("note", Actor(http), text);
            entry.IncidentId = id;
            db.IncidentTimeline.Add(entry);
            await db.SaveChangesAsync(ct);
            await audit.RecordAsync(http, "incident.note", $"incident:{id}", AuditLog.Ok, new { length = text.Length });
            return TypedResults.Created($"/api/v1/incidents/{id}/timeline", new TimelineEntryDto(entry.Id, entry.At, entry.Kind, entry.Actor, entry.Text, null));
        })
        .RequireRole(Role.Responder)
        .WithSummary("Add a note to the incident's timeline")
        .WithMetadata(new RequestSizeLimitAttribute(64 * 1024))
        .Produces<TimelineEntryDto>(StatusCodes.Status201Created);

        api.MapPatch("/{id:long}", async Task<IResult> (long id, PatchIncidentRequest body, IncidentStore store, WorkspaceState ws, AuditLog audit, HttpContext http) =>
        {
            var w = ws.Current;
            var problems = new Dictionary<string, object?>();
            var title = body.Title?.Trim();
            if (body.Title is not null && (string.IsNullOrEmpty(title) || title.Length > MaxTitle)) problems["title"] = $"a title of 1 to {MaxTitle} characters";
            if (body.Severity is not null && w.Severities.All(s => s.Id != body.Severity)) problems["severity"] = $"severity must be one of {string.Join(", ", w.Severities.Select(s => s.Id))}";
            if (body.Assignee is { Length: > 0 } && w.Users.All(u => u.Id != body.Assignee)) problems["assignee"] = $"no user '{body.Assignee}' in the workspace (\"\" unassigns)";
            if (body.Summary is { Length: > MaxText }) problems["summary"] = $"at most {MaxText} characters";
            if (problems.Count > 0)
            {
                await audit.RecordAsync(http, "incident.update", $"incident:{id}", AuditLog.Failed, problems);
                return Errors.BadRequest("The change is invalid.", new Dictionary<string, object?> { ["errors"] = problems });
            }
            var ct = http.RequestAborted;
            await using var db = await store.ContextAsync(ct);
            var incident = await db.Incidents.FirstOrDefaultAsync(i => i.Id == id, ct);
            if (incident is null) return NotFound(id);
            var actor = Actor(http);
            var changed = new Dictionary<string, object?>();
            if (title is not null && title != incident.Title)
            {
                incident.Timeline.Add(store.Entry("title", actor, $"Title changed from \"{incident.Title}\" to \"{title}\""));
                changed["title"] = title;
                incident.Title = title;
            }
            if (body.Summary is not null && body.Summary != incident.Summary)
            {
                incident.Timeline.Add(store.Entry("summary", actor, "Summary changed"));
                changed["summary"] = true;
                incident.Summary = body.Summary;
            }
            if (body.Severity is not null && body.Severity != incident.Severity)
            {
                incident.Timeline.Add(store.Entry("severity", actor, $"Severity changed from {incident.Severity} to {body.Severity}"));
                changed["severity"] = body.Severity;
                incident.Severity = body.Severity;
            }
            if (body.Assignee is not null && (body.Assignee.Length == 0 ? null : body.Assignee) != incident.Assignee)
            {
                var assignee = body.Assignee.Length == 0 ? null : body.Assignee;
                incident.Timeline.Add(store.Entry("assignee", actor, assignee is null ? "Unassigned" : $"Assigned to {assignee}"));
                changed["assignee"] = assignee;
                incident.Assignee = assignee;
            }
            if (changed.Count > 0 && !await TrySaveAsync(db, ct))
            {
                await audit.RecordAsync(http, "incident.update", $"incident:{id}", AuditLog.Failed, new { reason = "changed concurrently" });
                return Concurrent(id);
            }
            await audit.RecordAsync(http, "incident.update", $"incident:{id}", AuditLog.Ok, changed);
            return TypedResults.Ok(ToDto(incident, w));
        })
        .RequireRole(Role.Responder)
        .WithSummary("Change an incident's title, summary, severity or assignee (\"\" unassigns)")
        .WithMetadata(new RequestSizeLimitAttribute(64 * 1024))
        .Produces<IncidentDto>();

        return app;
    }

    /// <summary>Applies a lifecycle action; <paramref name="actorOverride"/> names who acted when it is not the request's
    /// token (a notification's action link).</summary>
    internal static async Task<IResult> ChangeStatusAsync(long id, string action, string? note, IncidentStore store, WorkspaceState ws, AuditLog audit, HttpContext http, string? actorOverride = null)
    {
        Task Audit(string what, string outcome, object detail) =>
            audit.RecordAsync(actorOverride ?? AuditLog.Actor(http), what, $"incident:{id}", http.Connection.RemoteIpAddress?.ToString(), outcome, detail);
        var ct = http.RequestAborted;
        if (note is { Length: > MaxText }) return Errors.BadRequest($"text: at most {MaxText} characters.");
        await using var db = await store.ContextAsync(ct);
        var incident = await db.Incidents.FirstOrDefaultAsync(i => i.Id == id, ct);
        if (incident is null) return NotFound(id);
        var from = IncidentLifecycle.Parse(incident.Status);
        var (to, refusal) = IncidentLifecycle.Apply(from, action);
        if (to is not { } target)
        {
            await Audit($"incident.{action}", AuditLog.Failed, new { reason = refusal, status = incident.Status });
            return Errors.Problem("Conflict", 409, refusal);
        }
        if (target == from && string.IsNullOrWhiteSpace(note))
        {
            await Audit($"incident.{action}", AuditLog.Ok, new { unchanged = true });
            return TypedResults.Ok(ToDto(incident, ws.Current));
        }
        if (action == "reopen" && from == IncidentStatus.Resolved && incident.DedupKey is { } dedup && await IncidentStore.OpenIncidentAsync(db, dedup, ct) is { } other)
        {
            await Audit("incident.reopen", AuditLog.Failed, new { reason = "another incident with the same dedup key is open", other = other.Id });
            return Errors.Problem("Conflict", 409, $"Incident {other.Id} with the same dedup key '{dedup}' is open; work on that one.", new Dictionary<string, object?> { ["incident"] = other.Id });
        }
        var actor = actorOverride ?? Actor(http);
        var now = store.Now;
        if (target != from)
        {
            incident.Status = IncidentLifecycle.Name(target);
            switch (target)
            {
                case IncidentStatus.Acknowledged:
                    incident.AcknowledgedAt = now;
                    break;
                case IncidentStatus.Triggered:
                    incident.AcknowledgedAt = null;
                    incident.ResolvedAt = null;
                    break;
                case IncidentStatus.Resolved:
                    incident.ResolvedAt = now;
                    break;
            }
            incident.Timeline.Add(store.Entry(IncidentLifecycle.Name(target), actor, action switch
            {
                "acknowledge" => "Acknowledged",
                "unacknowledge" => "Acknowledgement withdrawn",
                "resolve" => "Resolved",
                _ => "Reopened",
            }));
        }
        if (!string.IsNullOrWhiteSpace(note)) incident.Timeline.Add(store.Entry("note", actor, note.Trim()));
        var queued = target != from ? Outbox.Enqueue(db, ws.Current, incident, Outbox.EventOf(incident.Status), now) : 0;
        // Back to triggered (reopened, acknowledgement withdrawn): the escalation starts over, committed with the change.
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (target != from && target == IncidentStatus.Triggered && await Escalations.RestartAsync(db, ws.Current, incident, now, ct)) queued++;
        if (!await TrySaveAsync(db, ct))
        {
            await tx.RollbackAsync(CancellationToken.None);
            await Audit($"incident.{action}", AuditLog.Failed, new { reason = "changed concurrently" });
            return Concurrent(id);
        }
        await tx.CommitAsync(ct);
        if (queued > 0) http.RequestServices.GetRequiredService<Paging>().Wake();
        await Audit($"incident.{action}", AuditLog.Ok, new { from = IncidentLifecycle.Name(from), to = incident.Status });
        return TypedResults.Ok(ToDto(incident, ws.Current));
    }

    private static async Task<bool> TrySaveAsync(VigilDbContext db, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateConcurrencyException)
        {
            return false;
        }
    }

    private static IResult Concurrent(long id) =>
        Errors.Problem("Conflict", 409, $"Incident {id} changed while this request was being handled; read it again and retry.");

    internal static IResult NotFound(long id) => Errors.NotFound($"There is no incident {id}.");

    /// <summary>The timeline's actor: the token's name (ids are in the audit log).</summary>
    internal static string Actor(HttpContext http) => http.User.Identity?.Name is { Length: > 0 } name ? name : AuditLog.Actor(http);

    public static IncidentDto ToDto(Incident i, WorkspaceModel w)
    {
        var runbook = RunbookLink.FromStored(i.RunbookPath, i.RunbookSection) is { } link ? new RunbookDto(link.Path, link.Section, link.Url) : null;
        return new IncidentDto(i.Id, i.Title, i.Summary is null ? null : w.Secrets.Redact(i.Summary), i.ServiceId, i.Severity, i.Status, i.DedupKey, i.Assignee,
            i.OpenedAt, i.AcknowledgedAt, i.ResolvedAt, i.AckDueAt, i.ResponseMissedAt is not null, i.Suppressed, runbook);
    }
}

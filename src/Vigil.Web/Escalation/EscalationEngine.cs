using Microsoft.EntityFrameworkCore;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Incidents;
using Vigil.Web.Notifications;
using Vigil.Web.OnCall;
using Vigil.Web.Security;

namespace Vigil.Web.Escalation;

/// <summary>An incident's escalation as the API shows it: the policy, <c>state</c> (<c>pending</c>, <c>done</c>,
/// <c>cancelled</c>), the next step (1-based) and repeat, and when that step is due (null once it is over).</summary>
public sealed record EscalationDto(string Policy, string State, int NextStep, int Steps, int Repeat, int Repeats, DateTimeOffset? DueAt);

/// <summary><c>GET /api/v1/incidents/{id}/escalation</c>.</summary>
public static class EscalationApi
{
    public static IEndpointRouteBuilder MapEscalationApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/incidents/{id:long}/escalation", async Task<IResult> (long id, IDbContextFactory<VigilDbContext> dbFactory, WorkspaceState ws, CancellationToken ct) =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var row = await db.Escalations.AsNoTracking().FirstOrDefaultAsync(e => e.IncidentId == id, ct);
            if (row is null)
            {
                return Http.Errors.NotFound(await db.Incidents.AnyAsync(i => i.Id == id, ct)
                    ? $"Incident {id} has no escalation: it did not page (its severity has page: false, it was suppressed, or its service names no policy)."
                    : $"There is no incident {id}.");
            }
            var policy = ws.Current.EscalationPolicies.FirstOrDefault(p => p.Id == row.PolicyId);
            return TypedResults.Ok(new EscalationDto(row.PolicyId, row.State, row.StepIndex + 1, policy?.Steps.Count ?? 0, row.RepeatCount, policy?.Repeat ?? 0,
                row.State == Escalations.Pending ? row.DueAt : null));
        })
        .WithTags("Incidents")
        .RequireRole(Role.Viewer)
        .WithSummary("Where the incident's escalation policy stands: the next step and when it is due")
        .Produces<EscalationDto>();
        return app;
    }
}

/// <summary>Starting an incident's escalation, in the caller's unit of work.</summary>
public static class Escalations
{
    public const string Pending = "pending";
    public const string Done = "done";
    public const string Cancelled = "cancelled";

    /// <summary>
    /// Adds (not saved) the escalation of a triggered incident that pages (its severity says <c>page: true</c>, it is not
    /// suppressed, its service names an escalation policy): the policy's first step, due at once. The incident needs its id.
    /// </summary>
    public static bool Start(VigilDbContext db, WorkspaceModel w, Incident incident, DateTimeOffset now)
    {
        if (incident.Id == 0 || incident.Suppressed || incident.Status != "triggered") return false;
        if (w.Severities.FirstOrDefault(s => s.Id == incident.Severity) is not { Page: true }) return false;
        var service = incident.ServiceId is null ? null : w.FindService(incident.ServiceId);
        if (service?.Escalation is not { } policyId || w.EscalationPolicies.All(p => p.Id != policyId)) return false;
        db.Escalations.Add(new Storage.Escalation { IncidentId = incident.Id, PolicyId = policyId, StepIndex = 0, RepeatCount = 0, State = Pending, DueAt = now });
        return true;
    }

    /// <summary>Starts the escalation again from its first step (an incident reopened, or its acknowledgement withdrawn):
    /// the old one is removed now, in the caller's transaction, and the new one added to be saved with the change.</summary>
    public static async Task<bool> RestartAsync(VigilDbContext db, WorkspaceModel w, Incident incident, DateTimeOffset now, CancellationToken ct)
    {
        await db.Escalations.Where(e => e.IncidentId == incident.Id).ExecuteDeleteAsync(ct);
        return Start(db, w, incident, now);
    }
}

/// <summary>
/// Runs escalation policies. Each incident's escalation is a row whose <c>due_at</c> is its timer: when it is due, the
/// engine claims it with a conditional update, and in one transaction queues the step's notifications (channels; users'
/// contacts; for a schedule, whoever is on call then), writes the step on the timeline and moves the row to the next
/// step (after the step's <c>wait</c>; back to the first one while <c>repeat</c> allows). A restart, even a kill
/// mid-wait, resumes from the rows on time, and since the notifications and the move commit together, no step fires
/// twice. An incident no longer triggered (acknowledged, resolved) ends its escalation at its next due time without
/// paging anyone; a missed response time makes the next step due at once (<see cref="ResponseDeadlines"/>).
/// </summary>
public sealed class EscalationEngine(
    IDbContextFactory<VigilDbContext> dbFactory,
    WorkspaceState workspace,
    IncidentStore store,
    OnCallSchedules schedules,
    OutboxDispatcher outbox,
    TimeProvider time,
    ILogger<EscalationEngine> log) : DueWorker(time, log, "Running escalations")
{
    public static readonly TimeSpan ClaimFor = TimeSpan.FromMinutes(1);
    private const int BatchSize = 50;

    private long steps;

    /// <summary>Escalation rows handled (a step run, or an escalation ended) since start; for tests.</summary>
    public long Steps => Interlocked.Read(ref steps);

    /// <summary>Runs the due steps; returns how long until the next one is due (zero: more are due now).</summary>
    public override async Task<TimeSpan> RunOnceAsync(CancellationToken ct)
    {
        var now = Time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var due = await db.Escalations.AsNoTracking()
            .Where(e => e.State == Escalations.Pending && e.DueAt <= now && (e.ClaimedUntil == null || e.ClaimedUntil < now))
            .OrderBy(e => e.DueAt).ThenBy(e => e.Id).Select(e => e.Id).Take(BatchSize).ToListAsync(ct);
        var paged = false;
        foreach (var id in due)
        {
            var until = now + ClaimFor;
            var won = await db.Escalations
                .Where(e => e.Id == id && e.State == Escalations.Pending && (e.ClaimedUntil == null || e.ClaimedUntil < now))
                .ExecuteUpdateAsync(u => u.SetProperty(e => e.ClaimedBy, Instance).SetProperty(e => e.ClaimedUntil, until), ct);
            if (won == 1) paged |= await StepAsync(id, ct);
        }
        if (paged) outbox.Wake();
        if (due.Count == BatchSize) return TimeSpan.Zero;
        var next = await db.Escalations.AsNoTracking().Where(e => e.State == Escalations.Pending)
            .OrderBy(e => e.DueAt).Select(e => (DateTimeOffset?)e.DueAt).FirstOrDefaultAsync(ct);
        return Until(next);
    }

    /// <summary>Runs a claimed escalation's due step (or ends it); returns whether notifications were queued.</summary>
    private async Task<bool> StepAsync(long id, CancellationToken ct)
    {
        var now = Time.GetUtcNow();
        var w = workspace.Current;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var row = await db.Escalations.FirstAsync(e => e.Id == id, ct);
        if (row.ClaimedBy != Instance) return false;
        var incident = await db.Incidents.FirstAsync(i => i.Id == row.IncidentId, ct);
        var policy = w.EscalationPolicies.FirstOrDefault(p => p.Id == row.PolicyId);
        string? stop = incident.Status != "triggered" ? $"the incident is {incident.Status}"
            : incident.Suppressed ? "the incident is suppressed"
            : policy is null ? $"escalation policy '{row.PolicyId}' is no longer in the workspace"
            : null;
        var queued = 0;
        if (stop is not null || policy is null)
        {
            row.State = Escalations.Cancelled;
            store.AddEntry(db, incident.Id, "escalation", "vigil", $"Escalation {row.PolicyId} ended: {stop}.", new { policy = row.PolicyId, step = row.StepIndex + 1, repeat = row.RepeatCount, stopped = stop });
        }
        else
        {
            var index = Math.Min(row.StepIndex, policy.Steps.Count - 1);
            var step = policy.Steps[index];
            var paged = new List<string>();
            foreach (var target in step.Notify)
            {
                var (description, count) = await NotifyAsync(db, w, incident, row, index, target, now, ct);
                paged.Add(description);
                queued += count;
            }
            var cycle = row.RepeatCount > 0 ? $", repeat {row.RepeatCount} of {policy.Repeat}" : "";
            store.AddEntry(db, incident.Id, "escalation", "vigil", $"Escalation {policy.Id}, step {index + 1} of {policy.Steps.Count}{cycle}: {string.Join("; ", paged)}.",
                new { policy = policy.Id, step = index + 1, repeat = row.RepeatCount, targets = step.Notify.Select(t => t.ToString()).ToList(), notifications = queued });
            var next = index + 1;
            if (next >= policy.Steps.Count)
            {
                if (row.RepeatCount < policy.Repeat)
                {
                    next = 0;
                    row.RepeatCount++;
                }
                else
                {
                    row.State = Escalations.Done;
                }
            }
            row.StepIndex = next;
            row.DueAt = now + step.Wait;
        }
        row.ClaimedBy = null;
        row.ClaimedUntil = null;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        Interlocked.Increment(ref steps);
        return queued > 0;
    }

    /// <summary>Queues one target's notifications; returns what the timeline says of it and how many were queued.</summary>
    private async Task<(string Description, int Count)> NotifyAsync(VigilDbContext db, WorkspaceModel w, Incident incident, Storage.Escalation row, int step,
        EscalationTarget target, DateTimeOffset now, CancellationToken ct)
    {
        var key = $"incident:{incident.Id}:escalation:{row.Id}:{row.RepeatCount}:{step}";
        switch (target.Kind)
        {
            case TargetKind.Channel:
                return w.Channels.Any(c => c.Id == target.Id) && Outbox.Add(db, incident, target.Id, "escalated", $"{key}:channel:{target.Id}", now)
                    ? ($"channel {target.Id}", 1)
                    : ($"channel {target.Id} is not in the workspace", 0);
            case TargetKind.User:
                return PageUser(db, w, incident, w.Users.FirstOrDefault(u => u.Id == target.Id), target.Id, key, now, "");
            default:
                if (w.Schedules.FirstOrDefault(s => s.Id == target.Id) is not { } schedule) return ($"schedule {target.Id} is not in the workspace", 0);
                if (await schedules.AtAsync(schedule, now, ct) is not { } shift) return ($"nobody is on call for schedule {target.Id}", 0);
                return PageUser(db, w, incident, w.Users.FirstOrDefault(u => u.Id == shift.User), shift.User, key, now, $" (on call for {target.Id})");
        }
    }

    private static (string, int) PageUser(VigilDbContext db, WorkspaceModel w, Incident incident, User? user, string userId, string key, DateTimeOffset now, string why)
    {
        if (user is null) return ($"user {userId}{why} is not in the workspace", 0);
        var contacts = Outbox.ContactsOf(w, user).ToList();
        if (contacts.Count == 0) return ($"user {user.Id}{why} has no contact to reach (email with an email channel, webhook or slack)", 0);
        var count = contacts.Count(c => Outbox.Add(db, incident, c, "escalated", $"{key}:{c}", now));
        return ($"user {user.Id}{why} by {string.Join(", ", contacts.Select(c => c.Split(':')[2]))}", count);
    }

}

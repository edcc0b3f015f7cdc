using Microsoft.EntityFrameworkCore;
using Vigil.Core.OnCall;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Notifications;

namespace Vigil.Web.OnCall;

/// <summary>
/// Tells the incoming on-call person of each handoff, through their contacts: their shift, who hands over, the open
/// incidents, and the maintenance windows that open during the shift. A handoff is a shift that starts with someone
/// other than the one before it (a turn, or an override). Each notice's outbox key
/// (<c>handoff:SCHEDULE:USER:FROM:CONTACT</c>) is unique, so it is sent once whatever the number of instances, and a
/// handoff missed while the server was down is still told if it was less than <see cref="LookBack"/> ago.
/// </summary>
public sealed class HandoffNotifier(
    IDbContextFactory<VigilDbContext> dbFactory,
    WorkspaceState workspace,
    OnCallSchedules schedules,
    OutboxDispatcher outbox,
    TimeProvider time,
    ILogger<HandoffNotifier> log) : DueWorker(time, log, "Telling on-call handoffs")
{
    public static readonly TimeSpan LookBack = TimeSpan.FromHours(1);
    private const int MaxIncidents = 20;

    public override async Task<TimeSpan> RunOnceAsync(CancellationToken ct)
    {
        var now = Time.GetUtcNow();
        var w = workspace.Current;
        DateTimeOffset? next = null;
        var queued = 0;
        foreach (var schedule in w.Schedules)
        {
            var shifts = await schedules.ShiftsAsync(schedule, now - LookBack - TimeSpan.FromDays(1), now + TimeSpan.FromDays(2), ct);
            for (var i = 1; i < shifts.Count; i++)
            {
                var (before, shift) = (shifts[i - 1], shifts[i]);
                var handoff = before.Until == shift.From && before.User != shift.User;
                if (!handoff) continue;
                if (shift.From > now)
                {
                    if (next is null || shift.From < next) next = shift.From;
                    continue;
                }
                if (shift.From < now - LookBack) continue;
                // The shifts above are cut to the range asked for: the notice tells the whole shift.
                queued += await TellAsync(w, schedule, await schedules.AtAsync(schedule, shift.From, ct) ?? shift, before.User, now, ct);
            }
        }
        if (queued > 0) outbox.Wake();
        return Until(next);
    }

    private async Task<int> TellAsync(WorkspaceModel w, Schedule schedule, Shift shift, string previous, DateTimeOffset now, CancellationToken ct)
    {
        if (w.Users.FirstOrDefault(u => u.Id == shift.User) is not { } user) return 0;
        var contacts = Outbox.ContactsOf(w, user).ToList();
        if (contacts.Count == 0) return 0;
        var prefix = $"handoff:{schedule.Id}:{user.Id}:{shift.From.ToUnixTimeSeconds()}";
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var keys = contacts.Select(c => $"{prefix}:{c}").ToList();
        var known = await db.Outbox.AsNoTracking().Where(o => keys.Contains(o.EventKey)).Select(o => o.EventKey).ToListAsync(ct);
        if (known.Count == keys.Count) return 0;

        var open = await db.Incidents.AsNoTracking().Where(i => i.Status != "resolved").OrderBy(i => i.OpenedAt).Take(MaxIncidents)
            .Select(i => new OpenIncident(i.Id, i.Title, i.Severity, i.Status, i.ServiceId, i.OpenedAt)).ToListAsync(ct);
        var notice = new HandoffNotice(schedule.Id, user.Id, shift.From.ToUniversalTime(), shift.Until.ToUniversalTime(), previous, open, Maintenance(w, shift.From, shift.Until));
        var text = $"You are on call for {schedule.Name ?? schedule.Id} from {shift.From:u} to {shift.Until:u} (after {previous}): "
                   + $"{open.Count} open incident{(open.Count == 1 ? "" : "s")}, {notice.Maintenance.Count} maintenance window{(notice.Maintenance.Count == 1 ? "" : "s")} ahead";
        foreach (var (contact, key) in contacts.Zip(keys))
        {
            if (!known.Contains(key)) Outbox.Add(db, contact, "schedule.handoff", new NotificationMessage("handoff", null, now, text, key, null, notice));
        }
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // Another instance queued it first.
            return 0;
        }
        return keys.Count - known.Count;
    }

    /// <summary>The maintenance windows that open in [from, until).</summary>
    private static List<UpcomingMaintenance> Maintenance(WorkspaceModel w, DateTimeOffset from, DateTimeOffset until)
    {
        var result = new List<UpcomingMaintenance>();
        foreach (var window in w.Maintenance.Windows)
        {
            var cron = Crons.Parse(window.Cron);
            var zone = Crons.FindZone(window.Timezone ?? w.Timezone);
            foreach (var start in cron.GetOccurrences(from.UtcDateTime, until.UtcDateTime, zone, fromInclusive: true, toInclusive: false).Take(10))
                result.Add(new UpcomingMaintenance(window.Id, window.Services, new DateTimeOffset(start, TimeSpan.Zero), new DateTimeOffset(start, TimeSpan.Zero) + window.Duration));
        }
        return [.. result.OrderBy(m => m.From)];
    }
}

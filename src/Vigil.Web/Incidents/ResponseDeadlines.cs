using Microsoft.EntityFrameworkCore;
using Vigil.Storage;
using Vigil.Web.Hosting;

namespace Vigil.Web.Incidents;

/// <summary>
/// Records a missed response time: an incident still <c>triggered</c> after its severity's <c>respond_within</c> gets a
/// <c>response_missed</c> timeline entry, once, and its escalation's next step becomes due at once.
/// </summary>
/// <remarks>
/// Each incident is claimed with a conditional update (<c>… WHERE response_missed_at IS NULL</c>) in the transaction
/// that adds its entry, so a second instance or a pass after a crash never records it twice. Driven by
/// <see cref="TimeProvider"/>, so tests move the clock instead of waiting.
/// </remarks>
public sealed class ResponseDeadlines(IDbContextFactory<VigilDbContext> dbFactory, IncidentStore store, Notifications.Paging paging, VigilHostOptions options, ILogger<ResponseDeadlines> log)
    : BackgroundService
{
    /// <summary>How often deadlines are looked at; a miss is recorded at most this late.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = Interval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(stoppingToken);
                backoff = Interval;
                await Task.Delay(Interval, options.Time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromMinutes(5).Ticks));
                log.LogError(e, "Checking incident response deadlines failed; retrying in {Backoff}", backoff);
                await Task.Delay(backoff, options.Time, stoppingToken);
            }
        }
    }

    /// <summary>Records every missed response time that is due; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var now = options.Time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var due = await db.Incidents.AsNoTracking()
            .Where(i => i.Status == "triggered" && i.ResponseMissedAt == null && i.AckDueAt != null && i.AckDueAt <= now)
            .OrderBy(i => i.AckDueAt)
            .Select(i => new { i.Id, i.Severity, i.AckDueAt, i.OpenedAt })
            .Take(500)
            .ToListAsync(ct);
        var recorded = 0;
        foreach (var i in due)
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var claimed = await db.Incidents
                .Where(x => x.Id == i.Id && x.ResponseMissedAt == null && x.Status == "triggered")
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.ResponseMissedAt, now).SetProperty(x => x.Version, x => x.Version + 1), ct);
            if (claimed == 0) continue;
            // The escalation does not wait out its current step: the next one is due now.
            var escalated = await db.Escalations.Where(e => e.IncidentId == i.Id && e.State == Escalation.Escalations.Pending && e.DueAt > now)
                .ExecuteUpdateAsync(u => u.SetProperty(e => e.DueAt, now), ct);
            store.AddEntry(db, i.Id, "response_missed", "vigil",
                $"Not acknowledged within {Describe(i.AckDueAt!.Value - i.OpenedAt)} ({i.Severity}'s response time): due at {i.AckDueAt:u}."
                + (escalated > 0 ? " Escalating to the next step now." : ""));
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            recorded++;
            if (escalated > 0) paging.Wake();
        }
        return recorded;
    }

    private static string Describe(TimeSpan t) =>
        t.TotalHours >= 1 && t.Minutes == 0 ? $"{t.TotalHours:0}h" : t.TotalMinutes >= 1 ? $"{t.TotalMinutes:0}m" : $"{t.TotalSeconds:0}s";
}

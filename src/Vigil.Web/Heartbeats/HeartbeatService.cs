using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Checks;
using Vigil.Core.Checks.Heartbeat;
using Vigil.Core.Workspace;
using Vigil.Storage;
using CheckResult = Vigil.Core.Checks.CheckResult;
using StoredHeartbeat = Vigil.Storage.Heartbeat;

namespace Vigil.Web.Heartbeats;

/// <summary>What a job reported: <c>/ping/{key}</c>, <c>/start</c>, <c>/fail</c> or <c>/{exit_code}</c>.</summary>
public enum PingKind
{
    Success,
    Start,
    Fail,
    Exit,
}

/// <summary>What a ping did: the result it published (none for <c>/start</c>) and the run's duration when a start preceded it.</summary>
public sealed record PingOutcome(CheckResult? Result, double? DurationMs);

/// <summary>
/// Heartbeats against the database: keeps one row per heartbeat check (its key and deadline), records
/// pings, and finds the late ones. All state is in the <c>heartbeats</c> table, so a restart loses nothing.
/// </summary>
public sealed class HeartbeatService(
    IDbContextFactory<VigilDbContext> dbFactory,
    WorkspaceState state,
    ICheckResultSink sink,
    TimeProvider time,
    ILogger<HeartbeatService> log) : IDisposable
{
    /// <summary>A ping's body is kept up to this many bytes; the rest is dropped, the ping still counts.</summary>
    public const int MaxBodyBytes = 10 * 1024;

    /// <summary>Pings kept per heartbeat; older ones are deleted as new ones arrive, so an anonymous caller cannot grow the table.</summary>
    public const int PingsKept = 100;

    public const string StateNew = "new";
    public const string StateUp = "up";
    public const string StateDown = "down";

    private readonly SemaphoreSlim syncGate = new(1, 1);

    /// <summary>
    /// Makes the <c>heartbeats</c> table match the workspace: a row per heartbeat check, keyed by the
    /// workspace's <c>key</c> or by a generated one kept across restarts and reloads; rows of removed
    /// checks are deleted; deadlines follow changed periods, schedules and grace.
    /// </summary>
    public async Task SyncAsync(WorkspaceModel workspace, CancellationToken ct)
    {
        await syncGate.WaitAsync(ct);
        try
        {
            var checks = HeartbeatChecks(workspace).ToList();
            // The workspace names a new key for a heartbeat: the old one stops working at once, the history stays.
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                var keys = await db.Heartbeats.AsNoTracking().ToDictionaryAsync(h => (h.ServiceId, h.CheckId), h => h.Key, ct);
                foreach (var (service, check, spec) in checks)
                {
                    if (spec.Key is not null && keys.TryGetValue((service.Id, check.Id), out var old) && old != spec.Key && !keys.ContainsValue(spec.Key))
                    {
                        await ReplaceKeyAsync(db, old, spec.Key, ct);
                    }
                }
            }
            await using (var db = await dbFactory.CreateDbContextAsync(ct))
            {
                var rows = await db.Heartbeats.ToListAsync(ct);
                var byCheck = rows.ToDictionary(r => (r.ServiceId, r.CheckId));
                var wanted = new HashSet<(string, string)>();
                var now = time.GetUtcNow();
                foreach (var (service, check, spec) in checks)
                {
                    wanted.Add((service.Id, check.Id));
                    if (!byCheck.TryGetValue((service.Id, check.Id), out var row))
                    {
                        var key = spec.Key ?? GenerateKey();
                        if (rows.Any(r => r.Key == key) || db.Heartbeats.Local.Any(r => r.Key == key))
                        {
                            log.LogWarning("Heartbeat {Service}/{Check}: its key is already used by another heartbeat; give each heartbeat its own key", service.Id, check.Id);
                            continue;
                        }
                        row = new StoredHeartbeat { Key = key, ServiceId = service.Id, CheckId = check.Id, State = StateNew };
                        db.Heartbeats.Add(row);
                    }
                    // A job that never pinged is expected from when Vigil started watching it; one that did, from its last ping.
                    var deadline = row.LastPingAt is { } last ? HeartbeatSchedule.Deadline(spec, last, workspace.Timezone)
                        : row.NextDueAt ?? HeartbeatSchedule.Deadline(spec, now, workspace.Timezone);
                    row.NextDueAt = deadline == DateTimeOffset.MaxValue ? null : deadline;
                }
                db.Heartbeats.RemoveRange(rows.Where(r => !wanted.Contains((r.ServiceId, r.CheckId))));
                await db.SaveChangesAsync(ct);
            }
        }
        finally
        {
            syncGate.Release();
        }
    }

    private static async Task ReplaceKeyAsync(VigilDbContext db, string oldKey, string newKey, CancellationToken ct)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var old = await db.Heartbeats.AsNoTracking().SingleAsync(h => h.Key == oldKey, ct);
        // (service, check) is unique: move the old row aside, insert the new key, move the pings, drop the old row.
        await db.Heartbeats.Where(h => h.Key == oldKey).ExecuteUpdateAsync(s => s.SetProperty(h => h.CheckId, old.CheckId + "~replaced"), ct);
        db.Heartbeats.Add(new StoredHeartbeat
        {
            Key = newKey,
            ServiceId = old.ServiceId,
            CheckId = old.CheckId,
            LastPingAt = old.LastPingAt,
            LastStartAt = old.LastStartAt,
            LastStatus = old.LastStatus,
            NextDueAt = old.NextDueAt,
            State = old.State,
        });
        await db.SaveChangesAsync(ct);
        await db.HeartbeatPings.Where(p => p.Key == oldKey).ExecuteUpdateAsync(s => s.SetProperty(p => p.Key, newKey), ct);
        await db.Heartbeats.Where(h => h.Key == oldKey).ExecuteDeleteAsync(ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
    }

    /// <summary>Records a ping. Null when no heartbeat has this key.</summary>
    public async Task<PingOutcome?> PingAsync(string key, PingKind kind, int? exitCode, string? body, string? remoteAddress, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Heartbeats.FirstOrDefaultAsync(h => h.Key == key, ct);
        if (row is null) return null;
        var workspace = state.Current;
        if (Find(workspace, row) is not { } found) return null;
        var now = time.GetUtcNow();
        double? duration = kind != PingKind.Start && row.LastStartAt is { } started && started <= now ? (now - started).TotalMilliseconds : null;
        var kindName = kind.ToString().ToLowerInvariant();
        db.HeartbeatPings.Add(new HeartbeatPing
        {
            Key = key,
            At = now,
            Kind = kindName,
            ExitCode = exitCode,
            Body = string.IsNullOrEmpty(body) ? null : body,
            RemoteAddress = remoteAddress,
            DurationMs = duration,
        });
        CheckResult? result = null;
        if (kind == PingKind.Start)
        {
            // A start says the run began; the deadline still waits for its end.
            row.LastStartAt = now;
            row.LastStatus = kindName;
        }
        else
        {
            var ok = kind == PingKind.Success || (kind == PingKind.Exit && exitCode == 0);
            var deadline = HeartbeatSchedule.Deadline(found.Spec, now, workspace.Timezone);
            row.LastPingAt = now;
            row.LastStartAt = null;
            row.LastStatus = kindName;
            row.NextDueAt = deadline == DateTimeOffset.MaxValue ? null : deadline;
            row.State = ok ? StateUp : StateDown;
            var ran = duration is { } d ? $" after a run of {Durations.Format(TimeSpan.FromMilliseconds(Math.Round(d / 1000) * 1000))}" : "";
            var message = kind switch
            {
                PingKind.Success => $"ping received{ran}",
                PingKind.Fail => $"the job reported failure{ran}",
                _ => ok ? $"the job exited with code 0{ran}" : $"the job exited with code {exitCode}{ran}",
            };
            result = new CheckResult(row.ServiceId, row.CheckId, CheckKind.Heartbeat, now, ok ? CheckStatus.Up : CheckStatus.Down, duration ?? 0, message, exitCode, null);
        }
        await db.SaveChangesAsync(ct);
        await TrimPingsAsync(db, key, ct);
        if (result is not null) await sink.PublishAsync(result, ct);
        return new PingOutcome(result, duration);
    }

    private static async Task TrimPingsAsync(VigilDbContext db, string key, CancellationToken ct)
    {
        var cutoff = await db.HeartbeatPings.Where(p => p.Key == key).OrderByDescending(p => p.Id).Skip(PingsKept).Select(p => (long?)p.Id).FirstOrDefaultAsync(ct);
        if (cutoff is { } id) await db.HeartbeatPings.Where(p => p.Key == key && p.Id <= id).ExecuteDeleteAsync(ct);
    }

    /// <summary>
    /// Publishes a down result for every heartbeat past its deadline that is not down yet. Each one is
    /// claimed with a conditional update first, so two instances (or a loop and a test) never both report it,
    /// and a ping that arrived meanwhile (which moved the deadline) wins.
    /// </summary>
    /// <returns>How many heartbeats went down.</returns>
    /// <summary>Whether <paramref name="workspace"/> has any heartbeat check (worked out once per workspace model).</summary>
    public static bool HasHeartbeats(WorkspaceModel workspace) =>
        HeartbeatKinds.GetValue(workspace, static w => new StrongBox<bool>(w.Services.Any(s => s.Checks.Any(c => c.Kind == CheckKind.Heartbeat)))).Value;

    private static readonly ConditionalWeakTable<WorkspaceModel, StrongBox<bool>> HeartbeatKinds = new();

    public async Task<int> SweepAsync(CancellationToken ct)
    {
        // Without heartbeat checks nothing can be late: no query every second for nothing.
        if (!HasHeartbeats(state.Current)) return 0;
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var due = await db.Heartbeats.AsNoTracking()
            .Where(h => h.State != StateDown && h.NextDueAt != null && h.NextDueAt <= now)
            .OrderBy(h => h.NextDueAt).Take(500).ToListAsync(ct);
        var workspace = state.Current;
        var count = 0;
        foreach (var row in due)
        {
            if (Find(workspace, row) is not { } found) continue;
            var claimed = await db.Heartbeats
                .Where(h => h.Key == row.Key && h.State == row.State && h.NextDueAt != null && h.NextDueAt <= now)
                .ExecuteUpdateAsync(s => s.SetProperty(h => h.State, StateDown), ct);
            if (claimed != 1) continue;
            var expectedBy = row.NextDueAt!.Value - found.Spec.Grace;
            await sink.PublishAsync(new CheckResult(row.ServiceId, row.CheckId, CheckKind.Heartbeat, now, CheckStatus.Down, 0,
                HeartbeatSchedule.LateMessage(expectedBy, row.LastPingAt), null, null), ct);
            count++;
        }
        return count;
    }

    /// <summary>The ping keys of a service's heartbeat checks, by check id.</summary>
    public async Task<Dictionary<string, string>> KeysAsync(string serviceId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Heartbeats.AsNoTracking().Where(h => h.ServiceId == serviceId).ToDictionaryAsync(h => h.CheckId, h => h.Key, ct);
    }

    public void Dispose() => syncGate.Dispose();

    /// <summary>A new ping key: 24 random bytes, URL-safe base64 (32 characters).</summary>
    public static string GenerateKey()
    {
        Span<byte> bytes = stackalloc byte[24];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_').TrimEnd('=');
    }

    /// <summary>The heartbeat checks of a workspace.</summary>
    public static IEnumerable<(Service Service, Check Check, HeartbeatCheckSpec Spec)> HeartbeatChecks(WorkspaceModel workspace) =>
        from s in workspace.Services
        from c in s.Checks
        where c.Spec is HeartbeatCheckSpec
        select (s, c, (HeartbeatCheckSpec)c.Spec);

    private static (Service Service, Check Check, HeartbeatCheckSpec Spec)? Find(WorkspaceModel workspace, StoredHeartbeat row) =>
        workspace.FindService(row.ServiceId)?.Checks.FirstOrDefault(c => c.Id == row.CheckId) is { Spec: HeartbeatCheckSpec spec } check
            ? (workspace.FindService(row.ServiceId)!, check, spec)
            : null;
}

using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Workspace;
using Vigil.Storage;

namespace Vigil.Web.Security;

/// <summary>An audit record as the API returns it; for a token actor (<c>token:tok_…</c>), <c>ActorName</c> is the token's name.</summary>
public sealed record AuditEntry(long Id, DateTimeOffset At, string Actor, string? ActorName, string Action, string? Target, string? RemoteAddress, string Outcome, JsonElement? Detail);

/// <summary>
/// Records every mutation and every denial: who, what, on what, when, from where, and how it ended.
/// Details pass through the workspace's redaction first: the audit log must never hold a secret.
/// </summary>
public sealed class AuditLog(IDbContextFactory<VigilDbContext> db, TimeProvider time, WorkspaceState workspace)
{
    public const string Ok = "ok";
    public const string Denied = "denied";
    public const string Failed = "failed";

    public Task RecordAsync(HttpContext http, string action, string? target, string outcome, object? detail = null) =>
        RecordAsync(Actor(http), action, target, http.Connection.RemoteIpAddress?.ToString(), outcome, detail);

    public async Task RecordAsync(string actor, string action, string? target, string? remoteAddress, string outcome, object? detail = null)
    {
        string? json = detail is null ? null : workspace.Redact(JsonSerializer.Serialize(detail, Hosting.Json.Options));
        await using var ctx = await db.CreateDbContextAsync(CancellationToken.None);
        ctx.AuditEvents.Add(new AuditEvent
        {
            At = time.GetUtcNow(),
            Actor = actor,
            Action = action,
            Target = target is null ? null : workspace.Redact(target),
            RemoteAddress = remoteAddress,
            Outcome = outcome,
            Detail = json,
        });
        // Not cancellable by the client: a denial must be recorded even if the caller hangs up.
        await ctx.SaveChangesAsync(CancellationToken.None);
    }

    public const string TokenActorPrefix = "token:";

    /// <summary>
    /// How an actor is named in the log: <c>token:ID</c> (ids are unique and never reused, names are
    /// neither), or <c>anonymous</c>. Responses add the token's name beside it.
    /// </summary>
    public static string Actor(HttpContext http) =>
        http.User.Identity?.IsAuthenticated == true ? TokenActorPrefix + http.User.FindFirstValue(ClaimTypes.NameIdentifier) : "anonymous";

    /// <summary>A page of the log, newest first; <c>More</c> tells whether older entries remain.</summary>
    public async Task<(IReadOnlyList<AuditEntry> Items, int Total, bool More)> QueryAsync(string? action, string? actor, DateTimeOffset? since, int limit, long? beforeId, CancellationToken ct)
    {
        await using var ctx = await db.CreateDbContextAsync(ct);
        var q = ctx.AuditEvents.AsNoTracking().AsQueryable();
        if (!string.IsNullOrEmpty(action))
        {
            // "token." matches every token action; an exact name matches itself.
            q = action.EndsWith('.') ? q.Where(e => e.Action.StartsWith(action)) : q.Where(e => e.Action == action);
        }
        if (!string.IsNullOrEmpty(actor)) q = q.Where(e => e.Actor == actor);
        if (since is not null) q = q.Where(e => e.At >= since);
        var total = await q.CountAsync(ct);
        if (beforeId is not null) q = q.Where(e => e.Id < beforeId);
        var rows = await q.OrderByDescending(e => e.Id).Take(limit + 1).ToListAsync(ct);
        var more = rows.Count > limit;
        if (more) rows.RemoveAt(limit);
        var tokenIds = rows.Where(e => e.Actor.StartsWith(TokenActorPrefix, StringComparison.Ordinal)).Select(e => e.Actor[TokenActorPrefix.Length..]).Distinct().ToList();
        var names = await ctx.ApiTokens.AsNoTracking().Where(t => tokenIds.Contains(t.Id)).ToDictionaryAsync(t => TokenActorPrefix + t.Id, t => t.Name, ct);
        return ([.. rows.Select(e => new AuditEntry(e.Id, e.At, e.Actor, names.GetValueOrDefault(e.Actor), e.Action, e.Target, e.RemoteAddress, e.Outcome,
            e.Detail is null ? null : JsonDocument.Parse(e.Detail).RootElement.Clone()))], total, more);
    }
}

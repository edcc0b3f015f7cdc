using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Heartbeats;
using Vigil.Web.Alerts;
using Vigil.Web.Http;
using Vigil.Web.Security;

namespace Vigil.Web.Services;

public enum ServiceStatus
{
    Up,
    Degraded,
    Down,
    Unknown,
    Maintenance,
}

public sealed record CheckDto(
    string Id,
    CheckKind Kind,
    ServiceStatus Status,
    DateTimeOffset? LastCheckedAt,
    double? LatencyMs,
    string? Message,
    string Target,
    string? Interval,
    string Timeout,
    IReadOnlyList<string> Conditions,
    IReadOnlyList<string> Warn,
    string? PingUrl = null);

public sealed record ServiceDto(
    string Id,
    string Name,
    string? Description,
    ServiceStatus Status,
    string? Runbook,
    string? Escalation,
    IReadOnlyList<string> Notify,
    IReadOnlyList<string> Tags,
    IReadOnlyList<CheckDto> Checks);

/// <summary>The configured services with the latest state of each check (<c>unknown</c> until a check has run).</summary>
public static class ServicesApi
{
    public static IEndpointRouteBuilder MapServicesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/services").WithTags("Services").RequireRole(Role.Viewer);

        api.MapGet("/", async Task<IResult> (WorkspaceState state, IDbContextFactory<VigilDbContext> db, Silences silences, int? limit, string? cursor, CancellationToken ct) =>
        {
            if (!PageRequest.TryParse(limit, cursor, out var page, out var error)) return error!;
            var w = state.Current;
            var states = await LoadStatesAsync(db, null, ct);
            var maintenance = await silences.InMaintenanceAsync(w, ct);
            var all = w.Services.Select(s => ToDto(s, states, w.Secrets, maintenance.Contains(s.Id))).ToList();
            return page.Apply(all, s => s.Id);
        }).WithSummary("List services with their status").Produces<Page<ServiceDto>>();

        api.MapGet("/{id}", async Task<Results<Ok<ServiceDto>, ProblemHttpResult>> (string id, HttpContext http, WorkspaceState state, IDbContextFactory<VigilDbContext> db, HeartbeatService heartbeats, Silences silences, CancellationToken ct) =>
        {
            var w = state.Current;
            if (w.FindService(id) is not { } service)
            {
                return TypedResults.Problem(title: "Not found", statusCode: 404, detail: $"No service '{id}' in workspace '{w.Name}'.");
            }
            // A ping URL is a credential (anyone holding it can report the job healthy): admins only.
            Dictionary<string, string>? pingUrls = null;
            if (Policies.RoleOf(http.User) == Role.Admin && service.Checks.Any(c => c.Kind == CheckKind.Heartbeat))
            {
                var baseUrl = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";
                pingUrls = (await heartbeats.KeysAsync(id, ct)).ToDictionary(k => k.Key, k => $"{baseUrl}/ping/{k.Value}");
            }
            var maintenance = (await silences.InMaintenanceAsync(w, ct)).Contains(id);
            return TypedResults.Ok(ToDto(service, await LoadStatesAsync(db, id, ct), w.Secrets, maintenance, pingUrls));
        }).WithSummary("One service with the state of each of its checks");

        return app;
    }

    private static async Task<Dictionary<(string, string), CheckState>> LoadStatesAsync(IDbContextFactory<VigilDbContext> db, string? serviceId, CancellationToken ct)
    {
        await using var ctx = await db.CreateDbContextAsync(ct);
        var q = ctx.CheckStates.AsNoTracking();
        if (serviceId is not null) q = q.Where(s => s.ServiceId == serviceId);
        return await q.ToDictionaryAsync(s => (s.ServiceId, s.CheckId), ct);
    }

    // maintenance: an open maintenance window or a silence of the whole service; the status is then `maintenance`, whatever the checks say.
    private static ServiceDto ToDto(Service s, Dictionary<(string, string), CheckState> states, SecretSet secrets, bool maintenance, Dictionary<string, string>? pingUrls = null)
    {
        var checks = s.Checks.Select(c =>
        {
            states.TryGetValue((s.Id, c.Id), out var st);
            return new CheckDto(
                c.Id,
                c.Kind,
                ParseStatus(st?.Status),
                st?.LastCheckedAt,
                st?.LatencyMs,
                st?.Message is null ? null : secrets.Redact(st.Message),
                secrets.Redact(Target(c.Spec)),
                c.Kind == CheckKind.Heartbeat ? null : Durations.Format(c.Interval),
                Durations.Format(c.Timeout),
                [.. c.Conditions.Select(x => secrets.Redact(x.Text))],
                [.. c.Warn.Select(x => secrets.Redact(x.Text))],
                pingUrls?.GetValueOrDefault(c.Id));
        }).ToList();
        return new ServiceDto(s.Id, s.Name, s.Description, maintenance ? ServiceStatus.Maintenance : Rollup(checks.Select(c => c.Status)), s.Runbook, s.Escalation, s.Notify, s.Tags, checks);
    }

    /// <summary>A service is as bad as its worst check: down &gt; degraded &gt; unknown &gt; up.</summary>
    public static ServiceStatus Rollup(IEnumerable<ServiceStatus> checks)
    {
        var list = checks.ToList();
        if (list.Count == 0) return ServiceStatus.Unknown;
        if (list.Contains(ServiceStatus.Down)) return ServiceStatus.Down;
        if (list.Contains(ServiceStatus.Degraded)) return ServiceStatus.Degraded;
        if (list.Contains(ServiceStatus.Unknown)) return ServiceStatus.Unknown;
        return list.All(x => x == ServiceStatus.Maintenance) ? ServiceStatus.Maintenance : ServiceStatus.Up;
    }

    private static ServiceStatus ParseStatus(string? s) =>
        Enum.TryParse<ServiceStatus>(s, ignoreCase: true, out var v) ? v : ServiceStatus.Unknown;

    // What a check looks at, for people. Connection strings and keys are secrets: the caller redacts.
    private static string Target(CheckSpec spec) => spec switch
    {
        HttpCheckSpec h => $"{h.Method} {SecretSet.RedactUrlCredentials(h.Url)}",
        TcpCheckSpec t => $"{t.Host}:{t.Port}",
        DnsCheckSpec d => $"{d.RecordType} {d.Name}",
        TlsCheckSpec t => $"{t.Host}:{t.Port}",
        PostgresCheckSpec p => p.Query is null ? "select 1" : p.Query,
        RedisCheckSpec r => r.Command ?? "PING",
        SqlCheckSpec q => $"{q.Driver.ToString().ToLowerInvariant()}: {q.Query}",
        CommandCheckSpec c => c.Run,
        DiskCheckSpec d => d.Path,
        FileCheckSpec f => f.Glob,
        HeartbeatCheckSpec hb => hb.Schedule is not null ? $"cron {hb.Schedule}" : $"every {Durations.Format(hb.Period ?? TimeSpan.Zero)}",
        _ => "",
    };
}

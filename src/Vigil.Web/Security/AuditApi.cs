using System.Globalization;
using Vigil.Core.Workspace;
using Vigil.Web.Http;

namespace Vigil.Web.Security;

public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/audit", async Task<IResult> (AuditLog audit, TimeProvider time, string? action, string? actor, string? since, int? limit, string? cursor, CancellationToken ct) =>
        {
            if (!PageRequest.TryParse(limit, cursor, out var page, out var error)) return error!;
            DateTimeOffset? sinceAt = null;
            if (!string.IsNullOrEmpty(since))
            {
                if (DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)) sinceAt = at;
                else if (Durations.TryParse(since, out var ago, out _)) sinceAt = time.GetUtcNow() - ago;
                else return Errors.BadRequest("since must be a time (2026-11-22T10:00:00Z) or a duration back from now (1h, 7d).");
            }
            if (!page.TryAfterId(out var before, out error)) return error!;
            var (items, total, more) = await audit.QueryAsync(action, actor, sinceAt, page.Limit, before, ct);
            var next = more ? PageRequest.Cursor(items[^1].Id.ToString(CultureInfo.InvariantCulture)) : null;
            return TypedResults.Ok(new Page<AuditEntry>(items, total, next));
        })
        .WithTags("Audit")
        .WithSummary("The audit log, newest first; filter with ?action= (a name, or a prefix ending in '.'), ?actor=, ?since=")
        .Produces<Page<AuditEntry>>()
        .RequireRole(Role.Admin);
        return app;
    }
}

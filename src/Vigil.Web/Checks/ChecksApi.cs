using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Hosting;
using Vigil.Web.Http;
using Vigil.Web.Security;

namespace Vigil.Web.Checks;

/// <summary>One raw result.</summary>
public sealed record ResultDto(DateTimeOffset At, string Status, double LatencyMs, string? Message, double? Value);

/// <summary>One rollup bucket.</summary>
public sealed record RollupDto(DateTimeOffset BucketStart, int Count, int Failures, int Degraded, double LatencyP50, double LatencyP95, double LatencyP99);

/// <summary>A check's history over [from, to): raw results (<c>step: "raw"</c>) or rollups (<c>"1m"</c>, <c>"1h"</c>).</summary>
public sealed record ResultsDto(string ServiceId, string CheckId, DateTimeOffset From, DateTimeOffset To, string Step, bool Truncated, IReadOnlyList<object> Items);

/// <summary><c>GET /api/v1/services/{id}/checks/{check}/results</c>: a check's results, raw or rolled up.</summary>
public static class ChecksApi
{
    /// <summary>Most raw results one request returns (the newest ones in the range).</summary>
    public const int MaxRawResults = 10_000;

    public static IEndpointRouteBuilder MapChecksApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/services/{id}/checks/{check}/results", async (string id, string check, string? from, string? to, string? step,
            WorkspaceState state, VigilHostOptions options, IDbContextFactory<VigilDbContext> dbFactory, CancellationToken ct) =>
        {
            var w = state.Current;
            if (w.FindService(id) is not { } service) return Errors.Problem("Not found", 404, $"No service '{id}' in workspace '{w.Name}'.");
            if (service.Checks.All(c => c.Id != check)) return Errors.Problem("Not found", 404, $"No check '{check}' in service '{id}'.");
            var now = options.Time.GetUtcNow();
            if (!TryTime(from, now, now - TimeSpan.FromHours(1), out var f)) return Errors.Problem("Bad request", 400, "from: use an ISO 8601 time (2026-11-22T20:00:00Z) or a duration back from now (90m, 24h, 7d).");
            if (!TryTime(to, now, now, out var t)) return Errors.Problem("Bad request", 400, "to: use an ISO 8601 time (2026-11-22T20:00:00Z) or a duration back from now (90m, 24h, 7d).");
            if (t < f) return Errors.Problem("Bad request", 400, "from must not be after to.");
            TimeSpan s = TimeSpan.Zero;
            if (!string.IsNullOrWhiteSpace(step) && !Durations.TryParse(step, out s, out _)) return Errors.Problem("Bad request", 400, "step: a duration such as 1m or 1h; omit it for raw results.");

            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (s < TimeSpan.FromMinutes(1))
            {
                var rows = await db.CheckResults.AsNoTracking()
                    .Where(r => r.ServiceId == id && r.CheckId == check && r.At >= f && r.At < t)
                    .OrderByDescending(r => r.At).ThenByDescending(r => r.Id)
                    .Take(MaxRawResults + 1)
                    .Select(r => new ResultDto(r.At, r.Status, r.LatencyMs, r.Message, r.Value))
                    .ToListAsync(ct);
                var truncated = rows.Count > MaxRawResults;
                var items = rows.Take(MaxRawResults).Reverse().Select(r => (object)(r with { Message = r.Message is null ? null : w.Secrets.Redact(r.Message) })).ToList();
                return Results.Json(new ResultsDto(id, check, f, t, "raw", truncated, items), Json.Options);
            }
            var hours = s >= TimeSpan.FromHours(1);
            var granularity = hours ? "hour" : "minute";
            var size = hours ? TimeSpan.FromHours(1) : TimeSpan.FromMinutes(1);
            // Buckets that overlap the range: the one containing `from` counts.
            var first = new DateTimeOffset(f.UtcTicks - f.UtcTicks % size.Ticks, TimeSpan.Zero);
            var rollups = await db.CheckRollups.AsNoTracking()
                .Where(r => r.ServiceId == id && r.CheckId == check && r.Granularity == granularity && r.BucketStart >= first && r.BucketStart < t)
                .OrderBy(r => r.BucketStart)
                .Select(r => new RollupDto(r.BucketStart, r.Count, r.Failures, r.Degraded, r.LatencyP50, r.LatencyP95, r.LatencyP99))
                .ToListAsync(ct);
            return Results.Json(new ResultsDto(id, check, f, t, hours ? "1h" : "1m", false, [.. rollups.Cast<object>()]), Json.Options);
        })
        .WithTags("Services")
        .RequireRole(Role.Viewer)
        .WithSummary("A check's results over a time range: raw, or per-minute / per-hour rollups")
        .Produces<ResultsDto>();
        return app;
    }

    private static bool TryTime(string? text, DateTimeOffset now, DateTimeOffset fallback, out DateTimeOffset value)
    {
        value = fallback;
        if (string.IsNullOrWhiteSpace(text)) return true;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value)) return true;
        if (Durations.TryParse(text, out var ago, out _))
        {
            value = now - ago;
            return true;
        }
        return false;
    }
}

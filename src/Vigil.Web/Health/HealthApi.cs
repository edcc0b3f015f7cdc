using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Vigil.Storage;

namespace Vigil.Web.Health;

public sealed record HealthResponse(string Status, string Version);

/// <summary>Liveness (<c>/health</c>) and readiness (<c>/health/ready</c>: the database answers).</summary>
public static class HealthApi
{
    public static string Version { get; } =
        typeof(HealthApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(HealthApi).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", () => TypedResults.Ok(new HealthResponse("ok", Version)))
            .WithTags("Health").WithSummary("Liveness: the process is up");
        app.MapGet("/health/ready", async Task<IResult> (IDbContextFactory<VigilDbContext> db, ILoggerFactory logs, CancellationToken ct) =>
        {
            try
            {
                await using var ctx = await db.CreateDbContextAsync(ct);
                // A real query, not just a connection: a database without our schema is not ready.
                await ctx.ApiTokens.AnyAsync(ct);
                return TypedResults.Ok(new HealthResponse("ready", Version));
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                logs.CreateLogger("Vigil.Health").LogWarning("Readiness check failed: {Error}", e.GetType().Name);
                return TypedResults.Problem(title: "Not ready", statusCode: 503, detail: "The database does not answer; see the server log.");
            }
        }).WithTags("Health").WithSummary("Readiness: the database answers");
        return app;
    }
}

using System.Globalization;
using System.Text;
using Vigil.Web.Http;

namespace Vigil.Web.Heartbeats;

/// <summary>
/// Healthchecks.io-style ping endpoints. No bearer token: the key in the URL is the secret. An
/// anonymous caller can do little: bodies are cut at 10 KB, each heartbeat keeps its last 100 pings,
/// unknown keys write nothing, and each client address is rate-limited.
/// </summary>
public static class HeartbeatsApi
{
    /// <summary>Pings per minute per client address; far above any real job, far below a flood.</summary>
    public const int PingsPerMinute = 600;

    public static IServiceCollection AddVigilHeartbeats(this IServiceCollection services)
    {
        services.AddSingleton<HeartbeatService>();
        services.AddHostedService(sp => sp.GetRequiredService<HeartbeatService>());
        services.AddHostedService<HeartbeatMonitor>();
        services.AddKeyedSingleton(nameof(HeartbeatsApi), (sp, _) => new WindowLimiter(PingsPerMinute, TimeSpan.FromMinutes(1), sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    public static IEndpointRouteBuilder MapHeartbeatsApi(this IEndpointRouteBuilder app)
    {
        var limiter = app.ServiceProvider.GetRequiredKeyedService<WindowLimiter>(nameof(HeartbeatsApi));
        var pings = app.MapGroup("/ping").WithTags("Heartbeats").AllowAnonymous();
        pings.AddEndpointFilter(async (ctx, next) =>
        {
            var http = ctx.HttpContext;
            if (limiter.TryAcquire(http.Connection.RemoteIpAddress?.ToString() ?? "unknown", out var retry))
            {
                return await next(ctx);
            }
            WindowLimiter.SetRetryAfter(http.Response, retry);
            return Errors.Problem("Too many pings", StatusCodes.Status429TooManyRequests,
                $"This address sent more than {limiter.Permits} pings this minute. Retry after the Retry-After header's seconds; a job pings once per run.");
        });
        pings.MapMethods("/{key}", ["GET", "POST"], (string key, HttpContext http, HeartbeatService hb, CancellationToken ct) =>
            PingAsync(http, hb, key, PingKind.Success, null, ct))
            .WithSummary("Report a successful run (the key is the secret; no token)");
        pings.MapMethods("/{key}/{signal}", ["GET", "POST"], (string key, string signal, HttpContext http, HeartbeatService hb, CancellationToken ct) =>
            signal switch
            {
                "start" => PingAsync(http, hb, key, PingKind.Start, null, ct),
                "fail" => PingAsync(http, hb, key, PingKind.Fail, null, ct),
                _ when int.TryParse(signal, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code <= 255 => PingAsync(http, hb, key, PingKind.Exit, code, ct),
                _ => Task.FromResult(NotFound),
            })
            .WithSummary("Report a run's start, failure, or exit code (0 = success)");
        return app;
    }

    private static readonly IResult NotFound = Results.Text("not found\n", "text/plain", statusCode: StatusCodes.Status404NotFound);

    private static async Task<IResult> PingAsync(HttpContext http, HeartbeatService hb, string key, PingKind kind, int? exitCode, CancellationToken ct)
    {
        if (key.Length > 200) return NotFound;
        var body = await ReadBoundedAsync(http.Request, HeartbeatService.MaxBodyBytes, ct);
        var outcome = await hb.PingAsync(key, kind, exitCode, body, http.Connection.RemoteIpAddress?.ToString(), ct);
        return outcome is null ? NotFound : Results.Text("OK\n", "text/plain");
    }

    /// <summary>The first <paramref name="limit"/> bytes of the body as text; the rest is not kept.</summary>
    internal static async Task<string?> ReadBoundedAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        if (!HttpMethods.IsPost(request.Method)) return null;
        var buffer = new byte[limit];
        var read = 0;
        while (read < limit)
        {
            var n = await request.Body.ReadAsync(buffer.AsMemory(read, limit - read), ct);
            if (n == 0) break;
            read += n;
        }
        if (read == 0) return null;
        var text = Encoding.UTF8.GetString(buffer, 0, read);
        // A multi-byte character cut at the bound decodes as U+FFFD; drop it rather than keep half a character.
        return read == limit ? text.TrimEnd('\uFFFD') : text;
    }
}

using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Features;
using Vigil.Core.Alerts.Inbound;
using Vigil.Core.Workspace;
using Vigil.Web.Http;
using Vigil.Web.Incidents;
using Prometheus;
using System.Diagnostics;
using Vigil.Web.Security;

namespace Vigil.Web.Alerts;

/// <summary>An inbound integration as admins see it, key included.</summary>
public sealed record IntegrationDto(string Id, IntegrationType Type, string Service, string Key, string Url, double? RateLimit);

/// <summary>PagerDuty Events API v2's answer.</summary>
public sealed record PagerDutyResponse(string Status, string Message, string? DedupKey = null, IReadOnlyList<string>? Errors = null);

/// <summary>
/// Inbound alerts in other tools' exact wire formats: PagerDuty Events API v2 at <c>POST /v2/enqueue</c> and
/// Alertmanager's webhook at <c>POST /api/v1/integrations/{key}/alertmanager</c>. The key is the credential (no bearer
/// token: the senders cannot send one); events are durably stored before the <c>2xx</c>.
/// </summary>
public static class InboundApi
{
    /// <summary>Inbound requests by format and outcome. The inbound endpoints are counted here instead of by the generic
    /// per-route HTTP metrics, whose label lookups cost more than the rest of a request's handling.</summary>
    public static readonly Counter Requests = Prometheus.Metrics.CreateCounter(
        "vigil_inbound_requests_total", "Inbound alert requests (PagerDuty events, Alertmanager notifications), by format and outcome.",
        "format", "outcome");

    /// <summary>From an inbound request's handler starting to its answer, the durable commit included.</summary>
    public static readonly Histogram Duration = Prometheus.Metrics.CreateHistogram(
        "vigil_inbound_request_seconds", "From an inbound request reaching its handler to its answer, the durable commit included, by format.",
        new HistogramConfiguration { LabelNames = ["format"], Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });

    /// <summary>PagerDuty's limit on an event's size.</summary>
    public const int MaxBodyBytes = 512 * 1024;

    // Bodies over the limit are read to the end (and dropped) up to this much, so the sender gets its 413 instead of a
    // connection reset in the middle of its upload; beyond it Kestrel cuts the connection.
    private const int DrainBytes = 8 * 1024 * 1024;

    public static IServiceCollection AddVigilInbound(this IServiceCollection services)
    {
        services.AddSingleton<IntegrationRegistry>();
        services.AddHostedService(sp => sp.GetRequiredService<IntegrationRegistry>());
        services.AddSingleton<InboundWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<InboundWriter>());
        services.AddSingleton<Handlers>();
        return services;
    }

    public static IEndpointRouteBuilder MapInboundApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/integrations", (HttpContext http, WorkspaceState state, IntegrationRegistry registry) =>
        {
            var baseUrl = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}";
            var items = state.Current.Integrations.Select(i =>
            {
                var key = registry.KeyOf(i.Id) ?? "";
                return new IntegrationDto(i.Id, i.Type, i.Service, key,
                    i.Type == IntegrationType.Pagerduty ? $"{baseUrl}/v2/enqueue" : $"{baseUrl}/api/v1/integrations/{key}/alertmanager", i.RateLimit);
            }).ToList();
            return TypedResults.Ok(new Page<IntegrationDto>(items, items.Count, null));
        })
        .WithTags("Integrations")
        .RequireRole(Role.Admin)
        .WithSummary("The inbound integrations with their keys and the URL to give the sender (admins: keys are secrets)")
        .Produces<Page<IntegrationDto>>();

        // These two routes describe the endpoints (OpenAPI) and serve them where UseInboundFastPath is not installed;
        // in Vigil's own pipeline the fast path answers the same requests, with the same handlers, before routing.
        app.MapPost("/v2/enqueue", (HttpContext http, Handlers handlers) => handlers.PagerDutyAsync(http))
        .WithTags("Integrations")
        .WithSummary("PagerDuty Events API v2: trigger, acknowledge or resolve an alert (routing_key = a pagerduty integration's key)")
        .Produces<PagerDutyResponse>(StatusCodes.Status202Accepted)
        .Produces<PagerDutyResponse>(StatusCodes.Status400BadRequest)
        .Produces<PagerDutyResponse>(StatusCodes.Status429TooManyRequests);

        app.MapPost("/api/v1/integrations/{key}/alertmanager", (string key, HttpContext http, Handlers handlers) => handlers.AlertmanagerAsync(key, http))
        .WithTags("Integrations")
        .WithSummary("Alertmanager webhook (payload version 4); each alert is tracked by its fingerprint");

        return app;
    }

    /// <summary>
    /// Answers <c>POST /v2/enqueue</c> and <c>POST /api/v1/integrations/{key}/alertmanager</c> ahead of routing,
    /// authentication and authorization, none of which they use (the key in the event or the path is the credential).
    /// Measured with <c>bench/ingest</c>: that part of the pipeline, with the per-request handler parameters resolved
    /// from a request scope, was about a tenth of the CPU of an event. Install it after the error handling, so a
    /// storage failure still answers 503.
    /// </summary>
    public static IApplicationBuilder UseInboundFastPath(this IApplicationBuilder app)
    {
        var handlers = app.ApplicationServices.GetRequiredService<Handlers>();
        return app.Use((http, next) =>
        {
            if (!HttpMethods.IsPost(http.Request.Method)) return next(http);
            var path = http.Request.Path;
            if (path.Equals("/v2/enqueue", StringComparison.OrdinalIgnoreCase)) return ServeAsync(http, handlers.PagerDutyAsync(http));
            if (AlertmanagerKey(path) is { } key) return ServeAsync(http, handlers.AlertmanagerAsync(key, http));
            return next(http);
        });

        static async Task ServeAsync(HttpContext http, Task<IResult> handling) => await (await handling).ExecuteAsync(http);
    }

    /// <summary>The key of <c>/api/v1/integrations/{key}/alertmanager</c>, or null for any other path.</summary>
    internal static string? AlertmanagerKey(PathString path)
    {
        if (!path.StartsWithSegments("/api/v1/integrations", StringComparison.OrdinalIgnoreCase, out var rest)) return null;
        var r = rest.Value;
        const string suffix = "/alertmanager";
        if (r is null || r.Length <= suffix.Length + 1 || !r.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) return null;
        var key = r[1..^suffix.Length];
        return key.Contains('/') ? null : key;
    }

    /// <summary>The inbound handlers with the singletons they use, resolved once instead of per request.</summary>
    internal sealed class Handlers(IntegrationRegistry registry, InboundWriter writer, WorkspaceState workspace, TimeProvider time)
    {
        public Task<IResult> PagerDutyAsync(HttpContext http) =>
            CountedAsync("pagerduty", () => InboundApi.PagerDutyAsync(http, registry, writer, workspace, time));

        public Task<IResult> AlertmanagerAsync(string key, HttpContext http) =>
            CountedAsync("alertmanager", () => InboundApi.AlertmanagerAsync(key, http, registry, writer, workspace, time));
    }

    private static async Task<(IResult, string)> PagerDutyAsync(HttpContext http, IntegrationRegistry registry, InboundWriter writer, WorkspaceState workspace, TimeProvider time)
    {
        var body = await ReadAsync(http);
        if (body is null) return (Invalid(StatusCodes.Status413PayloadTooLarge, "Event object is too large", $"the body is larger than {MaxBodyBytes / 1024} KB"), "too_large");
        var e = PagerDutyEvents.Parse(body, out var errors);
        if (e is null) return (Invalid(StatusCodes.Status400BadRequest, "Event object is invalid", [.. errors]), "invalid");
        if (registry.Find(e.RoutingKey, IntegrationType.Pagerduty) is not { } integration)
            return (Invalid(StatusCodes.Status400BadRequest, "Event object is invalid", "'routing_key' is not the key of any PagerDuty integration of this Vigil"), "unknown_key");
        if (!registry.TryAcquire(integration, out var retry))
        {
            WindowLimiter.SetRetryAfter(http.Response, retry);
            return (TypedResults.Json(new PagerDutyResponse("throttle event", "Requests for this integration are arriving too quickly; retry later."), Hosting.Json.Options, statusCode: StatusCodes.Status429TooManyRequests), "throttled");
        }
        var dedup = e.DedupKey ?? Guid.NewGuid().ToString("N");
        // The routing key is a credential: it is not kept with the stored event.
        var payload = Encoding.UTF8.GetString(body).Replace(e.RoutingKey, "[routing_key]", StringComparison.Ordinal);
        var signal = AlertSignal.Of(workspace.Current, integration, e, dedup, time.GetUtcNow());
        await writer.StoreAsync(new InboundItem(integration, "pagerduty", payload, dedup, [signal]), CancellationToken.None);
        return (new PagerDutyAccepted(dedup), "accepted");
    }

    private static async Task<(IResult, string)> AlertmanagerAsync(string key, HttpContext http, IntegrationRegistry registry, InboundWriter writer, WorkspaceState workspace, TimeProvider time)
    {
        if (registry.Find(key, IntegrationType.Alertmanager) is not { } integration)
            return (Errors.NotFound("No Alertmanager integration has this key; copy the URL from GET /api/v1/integrations (admins)."), "unknown_key");
        var body = await ReadAsync(http);
        if (body is null) return (Errors.Problem("Payload too large", StatusCodes.Status413PayloadTooLarge, $"The body is larger than {MaxBodyBytes / 1024} KB."), "too_large");
        var n = AlertmanagerWebhook.Parse(body, out var errors);
        if (n is null) return (Errors.BadRequest("The Alertmanager notification is invalid.", new Dictionary<string, object?> { ["errors"] = errors }), "invalid");
        if (!registry.TryAcquire(integration, out var retry))
        {
            WindowLimiter.SetRetryAfter(http.Response, retry);
            return (Errors.Problem("Too many requests", StatusCodes.Status429TooManyRequests, $"Integration '{integration.Id}' allows {integration.RateLimit} events a second."), "throttled");
        }
        var signals = AlertSignal.Of(workspace.Current, integration, n, time.GetUtcNow());
        await writer.StoreAsync(new InboundItem(integration, "alertmanager", Encoding.UTF8.GetString(body), n.GroupKey, signals), CancellationToken.None);
        return (TypedResults.Ok(new { status = "success", alerts = n.Alerts.Count }), "accepted");
    }

    /// <summary>Runs an inbound handler and counts its outcome and duration (<c>failed</c> when it throws).</summary>
    private static async Task<IResult> CountedAsync(string format, Func<Task<(IResult Result, string Outcome)>> handle)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = "failed";
        try
        {
            (var result, outcome) = await handle();
            return result;
        }
        finally
        {
            Requests.WithLabels(format, outcome).Inc();
            Duration.WithLabels(format).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>PagerDuty's <c>202</c>, written straight to the response (this is the ingest hot path).</summary>
    private sealed class PagerDutyAccepted(string dedupKey) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            var body = new System.Buffers.ArrayBufferWriter<byte>(128);
            using (var json = new System.Text.Json.Utf8JsonWriter(body))
            {
                json.WriteStartObject();
                json.WriteString("status", "success");
                json.WriteString("message", "Event processed");
                json.WriteString("dedup_key", dedupKey);
                json.WriteEndObject();
            }
            http.Response.StatusCode = StatusCodes.Status202Accepted;
            http.Response.ContentType = "application/json; charset=utf-8";
            http.Response.ContentLength = body.WrittenCount;
            return http.Response.Body.WriteAsync(body.WrittenMemory).AsTask();
        }
    }

    /// <summary>The whole body, or null when it is over the limit (what is over is read and dropped, not kept).</summary>
    private static async Task<byte[]?> ReadAsync(HttpContext http)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = DrainBytes;
        var length = http.Request.ContentLength;
        if (length is > 0 and <= MaxBodyBytes)
        {
            // The usual case: the sender said how much is coming, and it fits.
            var exact = new byte[(int)length.Value];
            var read = 0;
            while (read < exact.Length)
            {
                var got = await http.Request.Body.ReadAsync(exact.AsMemory(read), http.RequestAborted);
                if (got == 0) break;
                read += got;
            }
            return read == exact.Length ? exact : exact[..read];
        }
        // Chunked, or announced as too large: read to the end, keeping at most the limit.
        using var buffer = new MemoryStream(4096);
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            var tooLarge = length > MaxBodyBytes;
            int n;
            while ((n = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                if (!tooLarge && buffer.Length + n > MaxBodyBytes) tooLarge = true;
                if (!tooLarge) buffer.Write(chunk, 0, n);
            }
            return tooLarge ? null : buffer.ToArray();
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static JsonHttpResult<PagerDutyResponse> Invalid(int status, string message, params string[] errors) =>
        TypedResults.Json(new PagerDutyResponse("invalid event", message, null, errors), Hosting.Json.Options, statusCode: status);
}

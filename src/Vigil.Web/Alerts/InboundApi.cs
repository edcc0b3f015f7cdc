using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Vigil.Core.Alerts.Inbound;
using Vigil.Core.Workspace;
using Vigil.Web.Http;
using Vigil.Web.Incidents;
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

        app.MapPost("/v2/enqueue", async Task<IResult> (HttpContext http, IntegrationRegistry registry, InboundWriter writer, WorkspaceState workspace, TimeProvider time) =>
        {
            var body = await ReadAsync(http);
            if (body is null) return Invalid(StatusCodes.Status413PayloadTooLarge, "Event object is too large", $"the body is larger than {MaxBodyBytes / 1024} KB");
            var e = PagerDutyEvents.Parse(body, out var errors);
            if (e is null) return Invalid(StatusCodes.Status400BadRequest, "Event object is invalid", [.. errors]);
            if (registry.Find(e.RoutingKey, IntegrationType.Pagerduty) is not { } integration)
                return Invalid(StatusCodes.Status400BadRequest, "Event object is invalid", "'routing_key' is not the key of any PagerDuty integration of this Vigil");
            if (!registry.TryAcquire(integration, out var retry))
            {
                WindowLimiter.SetRetryAfter(http.Response, retry);
                return TypedResults.Json(new PagerDutyResponse("throttle event", "Requests for this integration are arriving too quickly; retry later."), Hosting.Json.Options, statusCode: StatusCodes.Status429TooManyRequests);
            }
            var dedup = e.DedupKey ?? Guid.NewGuid().ToString("N");
            // The routing key is a credential: it is not kept with the stored event.
            var payload = Encoding.UTF8.GetString(body).Replace(e.RoutingKey, "[routing_key]", StringComparison.Ordinal);
            var signal = AlertSignal.Of(workspace.Current, integration, e, dedup, time.GetUtcNow());
            await writer.StoreAsync(new InboundItem(integration, "pagerduty", payload, dedup, [signal]), CancellationToken.None);
            return TypedResults.Json(new PagerDutyResponse("success", "Event processed", dedup), Hosting.Json.Options, statusCode: StatusCodes.Status202Accepted);
        })
        .WithTags("Integrations")
        .WithSummary("PagerDuty Events API v2: trigger, acknowledge or resolve an alert (routing_key = a pagerduty integration's key)")
        .WithMetadata(new RequestSizeLimitAttribute(DrainBytes))
        .Produces<PagerDutyResponse>(StatusCodes.Status202Accepted)
        .Produces<PagerDutyResponse>(StatusCodes.Status400BadRequest)
        .Produces<PagerDutyResponse>(StatusCodes.Status429TooManyRequests);

        app.MapPost("/api/v1/integrations/{key}/alertmanager", async Task<IResult> (string key, HttpContext http, IntegrationRegistry registry, InboundWriter writer, WorkspaceState workspace, TimeProvider time) =>
        {
            if (registry.Find(key, IntegrationType.Alertmanager) is not { } integration)
                return Errors.NotFound("No Alertmanager integration has this key; copy the URL from GET /api/v1/integrations (admins).");
            var body = await ReadAsync(http);
            if (body is null) return Errors.Problem("Payload too large", StatusCodes.Status413PayloadTooLarge, $"The body is larger than {MaxBodyBytes / 1024} KB.");
            var n = AlertmanagerWebhook.Parse(body, out var errors);
            if (n is null) return Errors.BadRequest("The Alertmanager notification is invalid.", new Dictionary<string, object?> { ["errors"] = errors });
            if (!registry.TryAcquire(integration, out var retry))
            {
                WindowLimiter.SetRetryAfter(http.Response, retry);
                return Errors.Problem("Too many requests", StatusCodes.Status429TooManyRequests, $"Integration '{integration.Id}' allows {integration.RateLimit} events a second.");
            }
            var signals = AlertSignal.Of(workspace.Current, integration, n, time.GetUtcNow());
            await writer.StoreAsync(new InboundItem(integration, "alertmanager", Encoding.UTF8.GetString(body), n.GroupKey, signals), CancellationToken.None);
            return TypedResults.Ok(new { status = "success", alerts = n.Alerts.Count });
        })
        .WithTags("Integrations")
        .WithSummary("Alertmanager webhook (payload version 4); each alert is tracked by its fingerprint")
        .WithMetadata(new RequestSizeLimitAttribute(DrainBytes));

        return app;
    }

    /// <summary>The whole body, or null when it is over the limit (what is over is read and dropped, not kept).</summary>
    private static async Task<byte[]?> ReadAsync(HttpContext http)
    {
        var length = http.Request.ContentLength;
        using var buffer = new MemoryStream(length is > 0 and <= MaxBodyBytes ? (int)length.Value : 4096);
        var chunk = new byte[16 * 1024];
        var tooLarge = length > MaxBodyBytes;
        int n;
        while ((n = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (!tooLarge && buffer.Length + n > MaxBodyBytes) tooLarge = true;
            if (!tooLarge) buffer.Write(chunk, 0, n);
        }
        return tooLarge ? null : buffer.ToArray();
    }

    private static JsonHttpResult<PagerDutyResponse> Invalid(int status, string message, params string[] errors) =>
        TypedResults.Json(new PagerDutyResponse("invalid event", message, null, errors), Hosting.Json.Options, statusCode: status);
}

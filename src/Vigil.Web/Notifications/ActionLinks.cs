using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Hosting;
using Vigil.Web.Incidents;
using Vigil.Web.Security;

namespace Vigil.Web.Notifications;

/// <summary>The one-click links a notification carries (absolute URLs; null where the action does not apply).</summary>
public sealed record NotificationLinks(string Incident, string? Acknowledge, string? Resolve);

/// <summary>What a valid link token says: do <see cref="Action"/> to incident <see cref="IncidentId"/>, on behalf of
/// the notification's recipient <see cref="By"/>, until <see cref="Expires"/>.</summary>
public sealed record ActionLink(long IncidentId, string Action, string By, DateTimeOffset Expires);

/// <summary>
/// Signed, single-purpose, expiring action links (<c>/a/{token}</c>) for notifications: acknowledge or resolve one
/// incident. The token is <c>v1.PAYLOAD.SIGNATURE</c>: the payload (incident, action, recipient, expiry) in base64url,
/// signed with HMAC-SHA256 under a server key kept in the database (<c>server_keys</c>), so every instance accepts
/// every instance's links. A token cannot be turned to another action or incident, and is refused once expired.
/// </summary>
public sealed class ActionLinks(IDbContextFactory<VigilDbContext> dbFactory, VigilHostOptions options, Microsoft.AspNetCore.Hosting.Server.IServer server, TimeProvider time) : IDisposable
{
    public const string KeyName = "action-links";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);
    public static readonly string[] Actions = ["acknowledge", "resolve"];

    private readonly SemaphoreSlim gate = new(1, 1);
    private byte[]? key;

    /// <summary>The links for a notification of <paramref name="event"/> on an incident, made for <paramref name="by"/>.</summary>
    public async Task<NotificationLinks> ForAsync(long incidentId, string @event, string by, CancellationToken ct)
    {
        var expires = time.GetUtcNow() + Lifetime;
        var listening = server.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        var baseUrl = options.PublicUrl(listening);
        string? Link(string action) => $"{baseUrl}/a/{Sign(new ActionLink(incidentId, action, by, expires))}";
        await KeyAsync(ct);
        return @event switch
        {
            "triggered" or "escalated" => new NotificationLinks($"{baseUrl}/api/v1/incidents/{incidentId}", Link("acknowledge"), Link("resolve")),
            "acknowledged" => new NotificationLinks($"{baseUrl}/api/v1/incidents/{incidentId}", null, Link("resolve")),
            _ => new NotificationLinks($"{baseUrl}/api/v1/incidents/{incidentId}", null, null),
        };
    }

    /// <summary>Reads a token; null, with why, when it is not one of ours, was altered, or has expired.</summary>
    public async Task<(ActionLink? Link, string? Problem)> ReadAsync(string token, CancellationToken ct)
    {
        var parts = token.Split('.');
        if (parts.Length != 3 || parts[0] != "v1") return (null, "This is not a Vigil action link.");
        var k = await KeyAsync(ct);
        var expected = HMACSHA256.HashData(k, Encoding.ASCII.GetBytes($"v1.{parts[1]}"));
        byte[] given;
        string payload;
        try
        {
            given = Base64Url.DecodeFromChars(parts[2]);
            payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1]));
        }
        catch (FormatException)
        {
            return (null, "This action link is damaged; copy it whole from the notification.");
        }
        if (!CryptographicOperations.FixedTimeEquals(expected, given)) return (null, "This action link is not valid (altered, or made by another server).");
        var fields = payload.Split('|');
        if (fields.Length != 4 || !long.TryParse(fields[0], out var id) || !Actions.Contains(fields[1]) || !long.TryParse(fields[3], out var unix))
            return (null, "This action link is not valid.");
        var link = new ActionLink(id, fields[1], fields[2], DateTimeOffset.FromUnixTimeSeconds(unix));
        return link.Expires <= time.GetUtcNow() ? (null, $"This link expired at {link.Expires:u}; act on the incident in Vigil instead.") : (link, null);
    }

    public void Dispose() => gate.Dispose();

    private string Sign(ActionLink link)
    {
        var payload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{link.IncidentId}|{link.Action}|{link.By}|{link.Expires.ToUnixTimeSeconds()}"));
        var signature = Base64Url.EncodeToString(HMACSHA256.HashData(key!, Encoding.ASCII.GetBytes($"v1.{payload}")));
        return $"v1.{payload}.{signature}";
    }

    /// <summary>The signing key: read from the database, or made and stored by the first instance that needs it.</summary>
    private async Task<byte[]> KeyAsync(CancellationToken ct)
    {
        if (key is not null) return key;
        await gate.WaitAsync(ct);
        try
        {
            if (key is not null) return key;
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var stored = await db.ServerKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Name == KeyName, ct);
            if (stored is null)
            {
                db.ServerKeys.Add(new ServerKey { Name = KeyName, Value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), CreatedAt = time.GetUtcNow() });
                try
                {
                    await db.SaveChangesAsync(ct);
                }
                catch (DbUpdateException)
                {
                    // Another instance stored one first: use that.
                }
                db.ChangeTracker.Clear();
                stored = await db.ServerKeys.AsNoTracking().FirstAsync(k => k.Name == KeyName, ct);
            }
            return key = Convert.FromBase64String(stored.Value);
        }
        finally
        {
            gate.Release();
        }
    }
}

/// <summary><c>/a/{token}</c>: a page naming the incident and the action, whose button (a <c>POST</c>) does it. A plain
/// visit changes nothing, so mail scanners that open links do not acknowledge incidents.</summary>
public static class ActionLinksApi
{
    public static IEndpointRouteBuilder MapActionLinks(this IEndpointRouteBuilder app)
    {
        app.MapGet("/a/{token}", async Task<IResult> (string token, ActionLinks links, IncidentStore store, CancellationToken ct) =>
        {
            var (link, problem) = await links.ReadAsync(token, ct);
            if (link is null) return Page(StatusCodes.Status400BadRequest, "Link not usable", problem!, null);
            await using var db = await store.ContextAsync(ct);
            var incident = await db.Incidents.AsNoTracking().FirstOrDefaultAsync(i => i.Id == link.IncidentId, ct);
            if (incident is null) return Page(StatusCodes.Status404NotFound, "No such incident", $"Incident {link.IncidentId} does not exist any more.", null);
            var verb = link.Action == "acknowledge" ? "Acknowledge" : "Resolve";
            return Page(StatusCodes.Status200OK, $"{verb} incident {incident.Id}?",
                $"[{incident.Severity}] {incident.Title} ({incident.ServiceId ?? "no service"}) is {incident.Status}.", verb);
        })
        .ExcludeFromDescription();

        app.MapPost("/a/{token}", async Task<IResult> (string token, ActionLinks links, IncidentStore store, WorkspaceState ws, AuditLog audit, HttpContext http) =>
        {
            var (link, problem) = await links.ReadAsync(token, http.RequestAborted);
            if (link is null)
            {
                await audit.RecordAsync("link", "incident.link", null, http.Connection.RemoteIpAddress?.ToString(), AuditLog.Denied, new { reason = problem });
                return Page(StatusCodes.Status400BadRequest, "Link not usable", problem!, null);
            }
            var result = await IncidentsApi.ChangeStatusAsync(link.IncidentId, link.Action, "Using the link in a notification", store, ws, audit, http, $"link:{link.By}");
            var (status, title) = result is IStatusCodeHttpResult { StatusCode: { } code } && code >= 400
                ? (code, code == 409 ? "Not done" : "Failed")
                : (StatusCodes.Status200OK, link.Action == "acknowledge" ? "Acknowledged" : "Resolved");
            return Page(status, title, status == 200 ? $"Incident {link.IncidentId} is {(link.Action == "acknowledge" ? "acknowledged" : "resolved")}."
                : $"Incident {link.IncidentId} could not be {(link.Action == "acknowledge" ? "acknowledged" : "resolved")} now (it may already be).", null);
        })
        .ExcludeFromDescription()
        .DisableAntiforgery();
        return app;
    }

    private static IResult Page(int status, string title, string text, string? button)
    {
        var form = button is null ? "" : $"<form method=\"post\"><button type=\"submit\">{WebUtility.HtmlEncode(button)}</button></form>";
        var html = $"<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{WebUtility.HtmlEncode(title)} · Vigil</title></head>"
                   + $"<body><h1>{WebUtility.HtmlEncode(title)}</h1><p>{WebUtility.HtmlEncode(text)}</p>{form}</body></html>";
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }
}

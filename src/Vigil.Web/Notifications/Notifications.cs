using System.Text.Json;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Hosting;

namespace Vigil.Web.Notifications;

/// <summary>The incident as a notification carries it, frozen when the notification is queued.</summary>
public sealed record NotifiedIncident(long Id, string Title, string Severity, string Status, string? Service, string? Summary, string? DedupKey,
    DateTimeOffset OpenedAt, string Url, string? RunbookPath, string? RunbookSection);

/// <summary>
/// A notification's body: what happened (<c>event</c>: <c>triggered</c>, <c>acknowledged</c>, <c>resolved</c>, or
/// <c>escalated</c> for a page from an escalation step), to
/// which incident, when, and a one-line <c>text</c> for chat and mail subjects; <c>links</c> (added when it is sent)
/// open the incident and acknowledge or resolve it in one click. Webhooks and JSONL files get it as is.
/// </summary>
public sealed record NotificationMessage(string Event, NotifiedIncident? Incident, DateTimeOffset At, string Text, string Key, NotificationLinks? Links = null,
    HandoffNotice? Handoff = null);

/// <summary>An incident as a handoff notice lists it.</summary>
public sealed record OpenIncident(long Id, string Title, string Severity, string Status, string? Service, DateTimeOffset OpenedAt);

/// <summary>A maintenance window that opens during the incoming shift.</summary>
public sealed record UpcomingMaintenance(string? Id, IReadOnlyList<string> Services, DateTimeOffset From, DateTimeOffset Until);

/// <summary>What the incoming on-call person is told at a handoff (<c>event: "handoff"</c>, no incident).</summary>
public sealed record HandoffNotice(string Schedule, string User, DateTimeOffset From, DateTimeOffset Until, string? Previous,
    IReadOnlyList<OpenIncident> OpenIncidents, IReadOnlyList<UpcomingMaintenance> Maintenance);

/// <summary>
/// Queues notifications in the outbox, in the caller's unit of work: a change to an incident and the notifications it
/// causes are saved (and committed) together, so a notification is never lost, and the unique event key means the same
/// event is never queued twice.
/// </summary>
public static class Outbox
{
    public const string Pending = "pending";
    public const string Sending = OutboxMessage.Sending;
    public const string Sent = "sent";
    public const string Failed = "failed";
    public const string Dead = "dead";

    /// <summary>Adds to <paramref name="db"/> (not saved) the notifications an incident event causes: one per channel of its
    /// service's <c>notify</c> that takes this event. A suppressed incident notifies nobody. The incident must have its id.</summary>
    public static int Enqueue(VigilDbContext db, WorkspaceModel w, Incident incident, string @event, DateTimeOffset at)
    {
        if (incident.Suppressed || incident.Id == 0) return 0;
        var service = incident.ServiceId is null ? null : w.FindService(incident.ServiceId);
        if (service is null) return 0;
        var added = 0;
        foreach (var channelId in service.Notify)
        {
            var channel = w.Channels.FirstOrDefault(c => c.Id == channelId);
            if (channel is null || !channel.Events.Contains(@event)) continue;
            if (Add(db, incident, channel.Id, @event, $"incident:{incident.Id}:{@event}:{at.UtcTicks}:channel:{channel.Id}", at)) added++;
        }
        return added;
    }

    /// <summary>
    /// The channel an outbox row goes to: a workspace channel by id, or a user's contact
    /// (<c>user:ID:email|webhook|slack</c>: the personal webhook, or mail to the user's address through the workspace's
    /// first email channel). Null, with why, when the workspace no longer has it.
    /// </summary>
    public static (Channel? Channel, string? Missing) Resolve(WorkspaceModel w, string channelId)
    {
        var parts = channelId.Split(':');
        if (parts is not ["user", var userId, var contact])
        {
            return w.Channels.FirstOrDefault(c => c.Id == channelId) is { } c ? (c, null) : (null, $"channel '{channelId}' is no longer in the workspace");
        }
        if (w.Users.FirstOrDefault(u => u.Id == userId) is not { } user) return (null, $"user '{userId}' is no longer in the workspace");
        Channel Personal(ChannelType type, string? url) => new() { Id = channelId, Type = type, Url = url, Position = user.Position };
        return contact switch
        {
            "webhook" when user.Webhook is not null => (Personal(ChannelType.Webhook, user.Webhook), null),
            "slack" when user.Slack is not null => (Personal(ChannelType.Slack, user.Slack), null),
            "email" when user.Email is not null => w.Channels.FirstOrDefault(c => c.Type == ChannelType.Email) is { } mail
                ? (mail with { Id = channelId, To = [user.Email] }, null)
                : (null, $"the workspace has no email channel to send {userId}'s mail through"),
            _ => (null, $"user '{userId}' has no {contact} contact any more"),
        };
    }

    /// <summary>A user's contacts as outbox channel ids (<c>user:ID:CONTACT</c>); e-mail only when an email channel can carry it.</summary>
    public static IEnumerable<string> ContactsOf(WorkspaceModel w, User user)
    {
        if (user.Email is not null && w.Channels.Any(c => c.Type == ChannelType.Email)) yield return $"user:{user.Id}:email";
        if (user.Webhook is not null) yield return $"user:{user.Id}:webhook";
        if (user.Slack is not null) yield return $"user:{user.Id}:slack";
    }

    /// <summary>Adds one notification (not saved) unless one with its key is already queued in this unit of work.</summary>
    public static bool Add(VigilDbContext db, Incident incident, string channelId, string @event, string key, DateTimeOffset at) =>
        Add(db, channelId, $"incident.{@event}", Message(incident, @event, at, key));

    /// <summary>Adds one notification of <paramref name="kind"/> carrying <paramref name="message"/> (its <c>Key</c> is the
    /// row's unique event key), due at its time, unless one with that key is already queued in this unit of work.</summary>
    public static bool Add(VigilDbContext db, string channelId, string kind, NotificationMessage message)
    {
        if (db.Outbox.Local.Any(o => o.EventKey == message.Key)) return false;
        db.Outbox.Add(new OutboxMessage
        {
            EventKey = message.Key,
            ChannelId = channelId,
            Kind = kind,
            Payload = JsonSerializer.Serialize(message, Json.Options),
            State = Pending,
            NextAttemptAt = message.At,
            CreatedAt = message.At,
        });
        return true;
    }

    /// <summary>The incident event a lifecycle status leads to.</summary>
    public static string EventOf(string status) => status switch
    {
        "acknowledged" => "acknowledged",
        "resolved" => "resolved",
        _ => "triggered",
    };

    /// <summary>The incident id in an outbox event key (<c>incident:ID:…</c>), or null.</summary>
    public static long? IncidentOf(string eventKey)
    {
        var parts = eventKey.Split(':');
        return parts.Length > 1 && parts[0] == "incident" && long.TryParse(parts[1], out var id) ? id : null;
    }

    private static NotificationMessage Message(Incident i, string @event, DateTimeOffset at, string key)
    {
        var verb = @event switch
        {
            "acknowledged" => "Acknowledged",
            "resolved" => "Resolved",
            "escalated" => "Needs a responder",
            _ => "Triggered",
        };
        var service = i.ServiceId is null ? "" : $" ({i.ServiceId})";
        return new NotificationMessage(@event,
            new NotifiedIncident(i.Id, i.Title, i.Severity, i.Status, i.ServiceId, i.Summary, i.DedupKey, i.OpenedAt, $"/api/v1/incidents/{i.Id}", i.RunbookPath, i.RunbookSection),
            at, $"[{i.Severity}] {verb}: {i.Title}{service} — incident {i.Id}", key);
    }
}

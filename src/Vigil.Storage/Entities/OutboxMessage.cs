namespace Vigil.Storage;

/// <summary>
/// A notification waiting to be (or already) delivered. Written in the same transaction as the change that caused it,
/// delivered by a worker with retries and back-off. <see cref="EventKey"/> is unique, so the same event can never be
/// enqueued twice.
/// </summary>
public sealed class OutboxMessage
{
    public long Id { get; set; }

    /// <summary>Idempotency key, e.g. <c>incident:42:escalation:1:0:user:alice:email</c>.</summary>
    public required string EventKey { get; set; }

    public required string ChannelId { get; set; }

    /// <summary>The recipient: a user id or an address, depending on the channel.</summary>
    public string? Target { get; set; }

    /// <summary>What the notification is about, e.g. <c>incident.triggered</c>.</summary>
    public required string Kind { get; set; }

    /// <summary>The rendered message as JSON text, frozen at enqueue time.</summary>
    public required string Payload { get; set; }

    /// <summary><c>pending</c>, <c>sending</c>, <c>sent</c>, <c>failed</c> (will retry) or <c>dead</c> (gave up).</summary>
    public required string State { get; set; }

    /// <summary>The <see cref="State"/> of a row claimed for delivery.</summary>
    public const string Sending = "sending";

    public int Attempts { get; set; }

    public DateTimeOffset NextAttemptAt { get; set; }

    public string? LastError { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    public string? ClaimedBy { get; set; }

    public DateTimeOffset? ClaimedUntil { get; set; }
}

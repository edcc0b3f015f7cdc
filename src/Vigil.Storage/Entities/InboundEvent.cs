namespace Vigil.Storage;

/// <summary>
/// The durable record of an accepted inbound alert event (Alertmanager, PagerDuty Events v2, ...),
/// stored before the sender gets its <c>2xx</c>.
/// </summary>
public sealed class InboundEvent
{
    public long Id { get; set; }

    public required string IntegrationId { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    /// <summary><c>alertmanager</c> or <c>pagerduty</c>.</summary>
    public required string Format { get; set; }

    public string? DedupKey { get; set; }

    /// <summary>The raw JSON body, bounded in size by the receiver.</summary>
    public required string Payload { get; set; }
}

namespace Vigil.Storage;

/// <summary>One entry of the append-only audit log: who did what to which target, and whether it was allowed.</summary>
public sealed class AuditEvent
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>A user id, a token id, <c>system</c>, or <c>anonymous</c>.</summary>
    public required string Actor { get; set; }

    /// <summary>Dotted verb such as <c>token.create</c>, <c>incident.acknowledge</c> or <c>auth.denied</c>.</summary>
    public required string Action { get; set; }

    public string? Target { get; set; }

    public string? RemoteAddress { get; set; }

    /// <summary><c>ok</c>, <c>denied</c> or <c>failed</c>.</summary>
    public required string Outcome { get; set; }

    /// <summary>Extra context as JSON text; never contains secrets.</summary>
    public string? Detail { get; set; }
}

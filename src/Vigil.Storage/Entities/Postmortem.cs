namespace Vigil.Storage;

/// <summary>The post-mortem of an incident (at most one), drafted by Vigil and edited by people.</summary>
public sealed class Postmortem
{
    public long Id { get; set; }

    public long IncidentId { get; set; }

    /// <summary>Markdown.</summary>
    public required string Body { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public required string UpdatedBy { get; set; }
}

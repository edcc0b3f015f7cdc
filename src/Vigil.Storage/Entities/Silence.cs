namespace Vigil.Storage;

/// <summary>Suppresses pages for alerts whose labels match, between <see cref="StartsAt"/> and <see cref="EndsAt"/>; alerts are still recorded.</summary>
public sealed class Silence
{
    public long Id { get; set; }

    /// <summary>Alertmanager-style matchers as a JSON array of <c>{name, value, is_regex, is_equal}</c>.</summary>
    public required string Matchers { get; set; }

    public DateTimeOffset StartsAt { get; set; }

    public DateTimeOffset EndsAt { get; set; }

    public required string CreatedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public string? Comment { get; set; }
}

namespace Vigil.Storage;

/// <summary>
/// The secret of an inbound integration whose workspace entry has no <c>key</c>: generated once and kept here,
/// so it survives restarts and is the same on every instance.
/// </summary>
public sealed class IntegrationKey
{
    public required string IntegrationId { get; set; }

    public required string Key { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

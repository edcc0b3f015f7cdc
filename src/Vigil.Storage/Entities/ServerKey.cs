namespace Vigil.Storage;

/// <summary>
/// A secret of the server itself (e.g. the key that signs one-click action links), generated once and kept here so
/// every instance and every restart uses the same one.
/// </summary>
public sealed class ServerKey
{
    public required string Name { get; set; }

    public required string Value { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

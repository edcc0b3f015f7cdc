namespace Vigil.Storage;

/// <summary>A running Vigil process sharing the database; others treat it as dead when <see cref="HeartbeatAt"/> goes stale.</summary>
public sealed class ServerInstance
{
    public required string Id { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset HeartbeatAt { get; set; }

    /// <summary>The Vigil version the instance runs, to spot mixed versions during an upgrade.</summary>
    public required string Version { get; set; }
}

/// <summary>A named lease for work that only one instance may do at a time (e.g. the maintenance scheduler).</summary>
public sealed class Lease
{
    public required string Name { get; set; }

    public required string Holder { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}

namespace Vigil.Storage;

/// <summary>A push check: the monitored job pings <c>/ping/{key}</c>; the row holds the deadline of the next ping.</summary>
public sealed class Heartbeat
{
    /// <summary>The secret ping key; whoever knows it can ping.</summary>
    public required string Key { get; set; }

    public required string ServiceId { get; set; }

    public required string CheckId { get; set; }

    public DateTimeOffset? LastPingAt { get; set; }

    public DateTimeOffset? LastStartAt { get; set; }

    /// <summary>Kind of the last ping: <c>success</c>, <c>start</c>, <c>fail</c> or <c>exit</c>.</summary>
    public string? LastStatus { get; set; }

    /// <summary>Schedule plus grace: no ping by then means the job is late.</summary>
    public DateTimeOffset? NextDueAt { get; set; }

    /// <summary><c>new</c>, <c>up</c>, <c>late</c> or <c>down</c>.</summary>
    public required string State { get; set; }
}

/// <summary>One received heartbeat ping, kept for the check's history.</summary>
public sealed class HeartbeatPing
{
    public long Id { get; set; }

    public required string Key { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary><c>success</c>, <c>start</c>, <c>fail</c> or <c>exit</c> (an exit code was reported).</summary>
    public required string Kind { get; set; }

    public int? ExitCode { get; set; }

    /// <summary>The request body, truncated to 10 KB by the receiver.</summary>
    public string? Body { get; set; }

    public string? RemoteAddress { get; set; }

    /// <summary>Time since the matching <c>start</c> ping, when there was one.</summary>
    public double? DurationMs { get; set; }
}

namespace Vigil.Storage;

/// <summary>
/// Aggregated check results per minute or hour bucket. SLOs, uptime bars and latency charts read these,
/// so they stay cheap after the raw results are pruned.
/// </summary>
public sealed class CheckRollup
{
    public required string ServiceId { get; set; }

    public required string CheckId { get; set; }

    /// <summary><c>minute</c> or <c>hour</c>.</summary>
    public required string Granularity { get; set; }

    /// <summary>Start of the bucket, aligned to the granularity.</summary>
    public DateTimeOffset BucketStart { get; set; }

    public int Count { get; set; }

    public int Failures { get; set; }

    public int Degraded { get; set; }

    public double LatencyP50 { get; set; }

    public double LatencyP95 { get; set; }

    public double LatencyP99 { get; set; }
}

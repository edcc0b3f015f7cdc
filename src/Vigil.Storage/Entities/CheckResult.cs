namespace Vigil.Storage;

/// <summary>One raw check execution. High volume: written in batches, pruned after the retention period.</summary>
public sealed class CheckResult
{
    public long Id { get; set; }

    public required string ServiceId { get; set; }

    public required string CheckId { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary><c>up</c>, <c>degraded</c> or <c>down</c>.</summary>
    public required string Status { get; set; }

    public double LatencyMs { get; set; }

    public string? Message { get; set; }

    /// <summary>The measured number for numeric checks (<c>[VALUE]</c>), e.g. queue depth or days to certificate expiry.</summary>
    public double? Value { get; set; }
}

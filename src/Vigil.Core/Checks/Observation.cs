namespace Vigil.Core.Checks;

/// <summary>
/// What one probe saw: the values Gatus-style conditions are evaluated on. A probe fills the
/// fields its kind has and leaves the rest null; a condition on a value the probe did not see
/// fails and says so, never reads it as 0.
/// </summary>
public sealed class Observation
{
    /// <summary><c>[CONNECTED]</c>: the target answered at all (TCP connect, HTTP response, DB login).</summary>
    public bool Connected { get; set; }

    /// <summary><c>[STATUS]</c>: HTTP status code, or a command's exit code.</summary>
    public int? Status { get; set; }

    /// <summary><c>[BODY]</c>: response body, command stdout (trailing newline trimmed), Redis reply, DNS answers.</summary>
    public string? Body { get; set; }

    /// <summary><c>[HEADER].Name</c>: response headers, names case-insensitive.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; set; } = EmptyHeaders;

    /// <summary><c>[RESPONSE_TIME]</c>: how long the probe took (conditions compare milliseconds).</summary>
    public TimeSpan ResponseTime { get; set; }

    /// <summary><c>[CERTIFICATE_EXPIRATION]</c>: time left until the leaf certificate expires.</summary>
    public TimeSpan? CertificateExpiration { get; set; }

    /// <summary><c>[IP]</c>: the address the probe reached, or the first DNS answer.</summary>
    public string? Ip { get; set; }

    /// <summary><c>[DNS_RCODE]</c>: the DNS response code name (NOERROR, NXDOMAIN, SERVFAIL …).</summary>
    public string? DnsRcode { get; set; }

    /// <summary><c>[VALUE]</c>: the number a numeric check produced (SQL result, Redis reply, disk %, file age in seconds).</summary>
    public double? Value { get; set; }

    /// <summary>Why the probe could not complete (refused, timed out, TLS failure); null when it completed.</summary>
    public string? Error { get; set; }

    /// <summary>
    /// Failures a kind decides by itself, without conditions: a command's non-zero exit, a file older
    /// than <c>max_age</c> or smaller than <c>min_size</c>, a DNS answer not in <c>expect</c>, an invalid TLS chain.
    /// </summary>
    public List<string> BuiltInFailures { get; } = [];

    /// <summary>What was seen, one line each, for people (<c>vigil check</c>, result messages).</summary>
    public List<string> Facts { get; } = [];

    public static readonly IReadOnlyDictionary<string, string> EmptyHeaders =
        new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
}

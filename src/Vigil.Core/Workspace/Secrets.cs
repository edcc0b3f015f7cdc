using System.Buffers;
using System.Text.RegularExpressions;

namespace Vigil.Core.Workspace;

/// <summary>
/// The secret values a workspace holds (everything that came from <c>${…}</c>, passwords,
/// keys, tokens, webhook URLs). Anything shown to a person or written to a log passes
/// through <see cref="Redact"/> first.
/// </summary>
public sealed partial class SecretSet
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "***";

    // Values shorter than this are not redacted by substring: masking every "1" or "ok"
    // in a log would destroy it, and such values are not secrets worth the name anyway.
    private const int MinimumLength = 4;

    private readonly HashSet<string> values = new(StringComparer.Ordinal);
    private string[] ordered = [];

    // Every secret at once, for one pass over a text that contains none of them (nearly every text): a workspace with
    // a thousand heartbeat checks has a thousand keys, and looking for each in turn was measured at 4% of a busy
    // server's CPU. Built on first use after a change.
    private SearchValues<string>? anyOf;

    public int Count => values.Count;

    public void Add(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length < MinimumLength) return;
        if (values.Add(value))
        {
            // Longest first, so a secret that contains another is masked whole.
            ordered = [.. values.OrderByDescending(v => v.Length)];
            anyOf = null;
        }
    }

    public void AddAll(SecretSet other)
    {
        foreach (var v in other.values) Add(v);
    }

    public bool Contains(string value) => values.Contains(value);

    /// <summary>Masks every known secret and any password embedded in a URL.</summary>
    public string Redact(string text)
    {
        if (string.IsNullOrEmpty(text)) return text;
        var secrets = ordered;
        if (secrets.Length > 0 && text.AsSpan().ContainsAny(anyOf ??= SearchValues.Create(secrets, StringComparison.Ordinal)))
        {
            foreach (var secret in secrets)
            {
                if (text.Contains(secret, StringComparison.Ordinal)) text = text.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }
        return RedactUrlCredentials(text);
    }

    [GeneratedRegex(@"(?<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?<user>[^:/@\s]*):(?<pass>[^@/\s]+)@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlCredentials();

    [GeneratedRegex(@"(?i)\b(password|pwd)\s*=\s*[^;\s]+", RegexOptions.CultureInvariant)]
    private static partial Regex ConnectionStringPassword();

    /// <summary>
    /// Masks <c>scheme://user:password@</c> and <c>Password=…</c> even when the value was not
    /// declared as a secret (a URL typed into a log message, an exception from a driver).
    /// </summary>
    public static string RedactUrlCredentials(string text)
    {
        // Each pattern needs a character most texts lack; looking for it first keeps redaction cheap on hot paths.
        if (text.Contains("://", StringComparison.Ordinal)) text = UrlCredentials().Replace(text, m => $"{m.Groups["scheme"].Value}{m.Groups["user"].Value}:{Mask}@");
        return text.Contains('=') ? ConnectionStringPassword().Replace(text, m => $"{m.Groups[1].Value}={Mask}") : text;
    }

    /// <summary>
    /// A URL safe to show: scheme, host, port and path, never credentials, query or fragment
    /// (webhook tokens live in paths and queries, so only the host is kept).
    /// </summary>
    public static string DescribeUrl(string? url)
    {
        if (string.IsNullOrEmpty(url)) return "";
        return Uri.TryCreate(url, UriKind.Absolute, out var u)
            ? $"{u.Scheme}://{u.Host}{(u.IsDefaultPort ? "" : ":" + u.Port)}/{Mask}"
            : Mask;
    }
}

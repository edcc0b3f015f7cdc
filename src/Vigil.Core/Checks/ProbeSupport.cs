using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Vigil.Core.Workspace;

namespace Vigil.Core.Checks;

/// <summary>What every probe shares: error wording, numbers, paths and timing.</summary>
internal static class ProbeSupport
{
    /// <summary>The message chain of an exception (outer first, repeats dropped), credentials in URLs masked.</summary>
    public static string Describe(Exception exception)
    {
        var message = exception.Message;
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (!string.IsNullOrEmpty(inner.Message) && !message.Contains(inner.Message, StringComparison.Ordinal))
            {
                message = message + ": " + inner.Message;
            }
        }
        return SecretSet.RedactUrlCredentials(message);
    }

    /// <summary>The address a connected socket reached, IPv4 as IPv4 (not mapped into IPv6); null when not connected.</summary>
    public static string? RemoteAddress(Socket socket) =>
        socket.RemoteEndPoint is IPEndPoint remote
            ? (remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address).ToString()
            : null;

    public static string TimedOut(Check check) => "timed out after " + FormatDuration(check.Timeout);

    public static string FormatDuration(TimeSpan span) =>
        span.TotalSeconds >= 1 && span.Milliseconds == 0
            ? span.TotalSeconds.ToString("0", CultureInfo.InvariantCulture) + "s"
            : span.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + "ms";

    /// <summary>Parses an invariant-culture number (the only kind conditions on <c>[VALUE]</c> accept).</summary>
    public static bool TryParseNumber(string? text, out double value)
    {
        value = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        return double.TryParse(text.AsSpan().Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value)
            && double.IsFinite(value);
    }

    /// <summary>A database value as a number when it is one (integers, decimals, floats; not text, not booleans).</summary>
    public static double? AsNumber(object? value) => value switch
    {
        byte b => b,
        sbyte sb => sb,
        short s => s,
        ushort us => us,
        int i => i,
        uint ui => ui,
        long l => l,
        ulong ul => ul,
        float f => f,
        double d => d,
        decimal m => (double)m,
        _ => null,
    };

    public static string? AsText(object? value) => value switch
    {
        null or DBNull => null,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    /// <summary>An absolute path as is; a relative one against the workspace folder.</summary>
    public static string ResolvePath(ProbeContext context, string path) =>
        Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(context.WorkspaceDirectory, path));

    public static long Start() => Stopwatch.GetTimestamp();

    public static TimeSpan Since(long start) => Stopwatch.GetElapsedTime(start);

    public static string FormatBytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0
            ? bytes.ToString(CultureInfo.InvariantCulture) + " B"
            : value.ToString("0.0", CultureInfo.InvariantCulture) + " " + units[unit];
    }

    /// <summary>The spec when it is the expected type; otherwise an observation saying the check is misconfigured.</summary>
    public static bool TryGetSpec<T>(Check check, out T spec, out Observation? error) where T : CheckSpec
    {
        if (check.Spec is T typed)
        {
            spec = typed;
            error = null;
            return true;
        }
        spec = null!;
        error = new Observation { Error = $"check '{check.Id}' has a {check.Spec.GetType().Name}, not a {typeof(T).Name}" };
        return false;
    }
}

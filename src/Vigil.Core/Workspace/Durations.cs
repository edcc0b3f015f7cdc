using System.Globalization;
using System.Text.RegularExpressions;

namespace Vigil.Core.Workspace;

/// <summary>
/// Durations as the workspace writes them: a whole number and one unit,
/// <c>500ms 30s 15m 1h 1d 1w</c>. Compound forms (<c>1h30m</c>) are accepted too,
/// because Gatus and Prometheus users write them.
/// </summary>
public static partial class Durations
{
    [GeneratedRegex(@"^(?:(\d+)(ms|s|m|h|d|w))+$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    [GeneratedRegex(@"(\d+)(ms|s|m|h|d|w)", RegexOptions.CultureInvariant)]
    private static partial Regex Part();

    // TimeSpan.FromMilliseconds throws above this.
    private static readonly long MaxMilliseconds = (long)TimeSpan.MaxValue.TotalMilliseconds - 1;

    /// <summary>Parses a duration, or returns false with a message saying how to write it.</summary>
    public static bool TryParse(string text, out TimeSpan value, out string? hint)
    {
        value = TimeSpan.Zero;
        hint = null;
        var s = text.Trim();
        if (Shape().IsMatch(s))
        {
            long ms = 0;
            foreach (Match m in Part().Matches(s))
            {
                var unit = m.Groups[2].Value switch
                {
                    "ms" => 1L,
                    "s" => 1000L,
                    "m" => 60_000L,
                    "h" => 3_600_000L,
                    "d" => 86_400_000L,
                    _ => 604_800_000L,
                };
                // A number too large for a TimeSpan is a typo to report, not an exception
                // that takes down the loader (and with it every other error it would list).
                if (!long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                    || n > (MaxMilliseconds - ms) / unit)
                {
                    hint = "that is longer than Vigil can count; use at most a few years, e.g. 520w";
                    return false;
                }
                ms += n * unit;
            }
            value = TimeSpan.FromMilliseconds(ms);
            return true;
        }
        hint = SuggestFor(s);
        return false;
    }

    /// <summary>Formats a duration in the workspace's own notation (largest exact unit).</summary>
    public static string Format(TimeSpan value)
    {
        var ms = (long)value.TotalMilliseconds;
        if (ms == 0) return "0s";
        foreach (var (unit, size) in new[] { ("w", 604_800_000L), ("d", 86_400_000L), ("h", 3_600_000L), ("m", 60_000L), ("s", 1000L) })
        {
            if (ms % size == 0) return $"{ms / size}{unit}";
        }
        return $"{ms}ms";
    }

    private static readonly (string[] Words, string Unit)[] Words =
    [
        (["ms", "msec", "msecs", "millisecond", "milliseconds"], "ms"),
        (["s", "sec", "secs", "second", "seconds"], "s"),
        (["m", "min", "mins", "minute", "minutes"], "m"),
        (["h", "hr", "hrs", "hour", "hours"], "h"),
        (["d", "day", "days"], "d"),
        (["w", "wk", "wks", "week", "weeks"], "w"),
    ];

    private static string SuggestFor(string s)
    {
        var m = Regex.Match(s, @"^(\d+)\s*([A-Za-z]+)$", RegexOptions.CultureInvariant);
        if (m.Success)
        {
            var word = m.Groups[2].Value.ToLowerInvariant();
            foreach (var (words, unit) in Words)
            {
                if (words.Contains(word)) return $"use {m.Groups[1].Value}{unit}";
            }
        }
        if (Regex.IsMatch(s, @"^\d+$", RegexOptions.CultureInvariant)) return $"add a unit, e.g. {s}s";
        return "write a number and a unit: 500ms, 30s, 15m, 1h, 1d or 1w";
    }
}

/// <summary>Percentages such as <c>99.5%</c>, kept as a fraction (0.995).</summary>
public static class Percentages
{
    public static bool TryParse(string text, out double fraction, out string? hint)
    {
        fraction = 0;
        hint = null;
        var s = text.Trim();
        if (s.EndsWith('%') && double.TryParse(s[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var pct))
        {
            if (pct is > 0 and < 100)
            {
                fraction = pct / 100.0;
                return true;
            }
            hint = "an objective is above 0% and below 100%, e.g. 99.5%";
            return false;
        }
        hint = double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var bare)
            ? $"write it as a percentage: {(bare < 1 ? bare * 100 : bare).ToString(CultureInfo.InvariantCulture)}%"
            : "write a percentage such as 99.5%";
        return false;
    }
}

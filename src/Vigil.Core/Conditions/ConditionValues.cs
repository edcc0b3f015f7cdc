using System.Globalization;
using Vigil.Core.Workspace;

namespace Vigil.Core.Conditions;

/// <summary>Reading and showing the values conditions compare.</summary>
internal static class ConditionValues
{
    /// <summary>A plain decimal number (<c>200</c>, <c>-1.5</c>, <c>1e3</c>); never NaN, Infinity or hex.</summary>
    public static double? ParseNumber(string text)
    {
        var t = text.AsSpan().Trim();
        if (t.IsEmpty) return null;
        var first = t[0] is '-' or '+' ? (t.Length > 1 ? t[1] : ' ') : t[0];
        if (!char.IsAsciiDigit(first) && first != '.') return null;
        foreach (var c in t)
        {
            if (!char.IsAsciiDigit(c) && c is not ('.' or '-' or '+' or 'e' or 'E')) return null;
        }
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;
    }

    /// <summary>A duration as the workspace writes it (<c>720h</c>, <c>30s</c>, <c>1d</c>, <c>500ms</c>); a bare number is not one.</summary>
    public static TimeSpan? ParseDuration(string text) =>
        text.Length > 0 && !char.IsAsciiDigit(text[^1]) && Durations.TryParse(text, out var d, out _) ? d : null;

    public static string FormatNumber(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>A time left for people: <c>12d 3h</c>, <c>5h 20m</c>, <c>42s</c>, <c>-2d 4h</c> once past.</summary>
    public static string FormatDuration(TimeSpan t)
    {
        if (t < TimeSpan.Zero) return "-" + FormatDuration(t.Negate());
        static string Two(long a, string ua, long b, string ub) => b == 0 ? $"{a}{ua}" : $"{a}{ua} {b}{ub}";
        if (t.Days > 0) return Two(t.Days, "d", t.Hours, "h");
        if (t.Hours > 0) return Two(t.Hours, "h", t.Minutes, "m");
        if (t.Minutes > 0) return Two(t.Minutes, "m", t.Seconds, "s");
        if (t.Seconds > 0) return $"{t.Seconds}s";
        return $"{(long)t.TotalMilliseconds}ms";
    }

    /// <summary>A value shown inside a message, kept to one short line.</summary>
    public static string Shorten(string text)
    {
        const int Max = 80;
        var oneLine = text.ReplaceLineEndings(" ");
        return oneLine.Length <= Max ? oneLine : string.Concat(oneLine.AsSpan(0, Max), "…");
    }

    /// <summary>Glob match, case-sensitive like Gatus: <c>*</c> any text, <c>?</c> one character.</summary>
    public static bool Glob(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}

using System.Globalization;

namespace Vigil.Core.Workspace;

/// <summary>Rates as the workspace writes them: <c>100/s</c>, <c>600/m</c>.</summary>
public static class Rates
{
    /// <summary>Parses a positive rate; <paramref name="perSecond"/> is it per second.</summary>
    public static bool TryParse(string text, out double perSecond)
    {
        perSecond = 0;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0) return false;
        if (!double.TryParse(text[..slash].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n <= 0 || double.IsInfinity(n)) return false;
        var per = text[(slash + 1)..].Trim() switch
        {
            "s" or "sec" or "second" => 1.0,
            "m" or "min" or "minute" => 60.0,
            "h" or "hour" => 3600.0,
            _ => 0,
        };
        if (per == 0) return false;
        perSecond = n / per;
        return true;
    }
}

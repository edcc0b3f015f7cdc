using Cronos;

namespace Vigil.Core.Workspace;

/// <summary>Cron expressions and time zones as the workspace writes them (validated by the loader).</summary>
public static class Crons
{
    /// <summary>Five fields (minute precision), or six with seconds first.</summary>
    public static CronExpression Parse(string cron) =>
        CronExpression.Parse(cron, cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);

    /// <summary>A time zone by IANA id; UTC for "UTC".</summary>
    public static TimeZoneInfo FindZone(string id) =>
        id is "UTC" or "Etc/UTC" ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(id);
}

using Vigil.Core.Alerts;
using Vigil.Core.Tests.Workspace;

namespace Vigil.Core.Tests.Alerts;

public sealed class SuppressionTests
{
    private static readonly Dictionary<string, string> Labels = new() { ["service"] = "backend", ["check"] = "health", ["severity"] = "P1" };

    [Theory]
    [InlineData("service", "backend", false, true, true)]
    [InlineData("service", "back", false, true, false)]
    [InlineData("service", "back", true, true, false)] // a regex must match the whole value
    [InlineData("service", "back.*", true, true, true)]
    [InlineData("severity", "P1", false, false, false)] // !=
    [InlineData("severity", "P[23]", true, false, true)] // !~
    [InlineData("team", "", false, true, true)] // a missing label is the empty string
    [InlineData("team", "ops", false, true, false)]
    public void A_matcher_compares_one_label(string name, string value, bool regex, bool equal, bool expected) =>
        Assert.Equal(expected, new SilenceMatcher(name, value, regex, equal).Matches(Labels));

    [Fact]
    public void A_silence_needs_every_matcher_to_hold_and_at_least_one()
    {
        Assert.True(Suppression.Matches([new("service", "backend"), new("check", "health|ready", IsRegex: true)], Labels));
        Assert.False(Suppression.Matches([new("service", "backend"), new("check", "ready")], Labels));
        Assert.False(Suppression.Matches([], Labels));
    }

    [Fact]
    public void Bad_matchers_say_what_is_wrong()
    {
        Assert.Contains("not a regular expression", new SilenceMatcher("check", "(unclosed", IsRegex: true).Problem());
        Assert.Contains("name", new SilenceMatcher(" ", "x").Problem());
        Assert.Null(new SilenceMatcher("check", "health").Problem());
    }

    [Fact]
    public void A_maintenance_window_is_open_from_its_cron_for_its_duration_in_its_time_zone()
    {
        var w = TestWorkspace.Valid("""
            name: Test
            services:
              - { id: backend }
              - { id: frontend }
            maintenance:
              windows:
                - { id: monthly, services: [backend], cron: "0 6 1 * *", duration: 1h, timezone: Europe/Berlin }
            """);
        // 06:00 in Berlin on 1 December 2026 is 05:00 UTC (CET, +01:00).
        var opens = new DateTimeOffset(2026, 12, 1, 5, 0, 0, TimeSpan.Zero);
        Assert.Null(Suppression.OpenWindow(w, "backend", opens.AddSeconds(-1)));
        Assert.Equal("monthly", Suppression.OpenWindow(w, "backend", opens)?.Id);
        Assert.Equal("monthly", Suppression.OpenWindow(w, "backend", opens.AddMinutes(59))?.Id);
        Assert.Null(Suppression.OpenWindow(w, "backend", opens.AddHours(1)));
        Assert.Null(Suppression.OpenWindow(w, "frontend", opens.AddMinutes(10)));
        Assert.Null(Suppression.OpenWindow(w, null, opens.AddMinutes(10)));
    }
}

using Vigil.Core.Workspace;

namespace Vigil.Core.Tests.Workspace;

// Durations, percentages and sizes as vigil.yaml writes them.
public sealed class ValueFormatTests
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("30s", 30_000)]
    [InlineData("15m", 900_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("1w", 604_800_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1m30s500ms", 90_500)]
    [InlineData(" 2h ", 7_200_000)]
    [InlineData("0s", 0)]
    public void Duration_is_a_whole_number_and_a_unit_or_several(string text, long milliseconds)
    {
        Assert.True(Durations.TryParse(text, out var value, out var hint), hint);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("15 minutes", "use 15m")]
    [InlineData("15min", "use 15m")]
    [InlineData("2 hours", "use 2h")]
    [InlineData("30 sec", "use 30s")]
    [InlineData("1 week", "use 1w")]
    [InlineData("3 days", "use 3d")]
    [InlineData("250 milliseconds", "use 250ms")]
    [InlineData("30", "add a unit, e.g. 30s")]
    [InlineData("1.5h", "write a number and a unit: 500ms, 30s, 15m, 1h, 1d or 1w")]
    [InlineData("-5m", "write a number and a unit: 500ms, 30s, 15m, 1h, 1d or 1w")]
    [InlineData("soon", "write a number and a unit: 500ms, 30s, 15m, 1h, 1d or 1w")]
    [InlineData("", "write a number and a unit: 500ms, 30s, 15m, 1h, 1d or 1w")]
    public void Duration_in_another_notation_is_rejected_with_a_hint(string text, string hint)
    {
        Assert.False(Durations.TryParse(text, out _, out var actual));
        Assert.Equal(hint, actual);
    }

    [Theory]
    [InlineData("99999999999999999999w")]
    [InlineData("9999999999999w")]
    [InlineData("99999999999d")]
    public void Duration_too_long_for_a_timespan_is_rejected_not_thrown(string text)
    {
        Assert.False(Durations.TryParse(text, out _, out var hint));
        Assert.NotNull(hint);
    }

    [Fact]
    public void Duration_too_long_is_a_workspace_error_not_a_crash()
    {
        var error = Assert.Single(TestWorkspace.Errors("""
            name: Test
            severities:
              - { id: P1, respond_within: 99999999999999w }
            """));
        Assert.StartsWith("vigil.yaml:3:31: `respond_within`: '99999999999999w' is not a duration (", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(500, "500ms")]
    [InlineData(30_000, "30s")]
    [InlineData(5_400_000, "90m")]
    [InlineData(604_800_000, "1w")]
    [InlineData(0, "0s")]
    public void Duration_formats_in_the_largest_exact_unit(long milliseconds, string text)
    {
        Assert.Equal(text, Durations.Format(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [Theory]
    [InlineData("99.5%", 0.995)]
    [InlineData("99.95%", 0.9995)]
    [InlineData("90%", 0.9)]
    [InlineData(" 99% ", 0.99)]
    public void Percentage_is_kept_as_a_fraction(string text, double fraction)
    {
        Assert.True(Percentages.TryParse(text, out var value, out var hint), hint);
        Assert.Equal(fraction, value, 10);
    }

    [Theory]
    [InlineData("99.5", "write it as a percentage: 99.5%")]
    [InlineData("0.995", "write it as a percentage: 99.5%")]
    [InlineData("100%", "an objective is above 0% and below 100%, e.g. 99.5%")]
    [InlineData("0%", "an objective is above 0% and below 100%, e.g. 99.5%")]
    [InlineData("-1%", "an objective is above 0% and below 100%, e.g. 99.5%")]
    [InlineData("three nines", "write a percentage such as 99.5%")]
    [InlineData("NaN%", "an objective is above 0% and below 100%, e.g. 99.5%")]
    public void Percentage_outside_the_notation_or_range_is_rejected_with_a_hint(string text, string hint)
    {
        Assert.False(Percentages.TryParse(text, out _, out var actual));
        Assert.Equal(hint, actual);
    }

    [Theory]
    [InlineData("1048576", 1_048_576)]
    [InlineData("512B", 512)]
    [InlineData("500KB", 512_000)]
    [InlineData("500K", 512_000)]
    [InlineData("10MB", 10_485_760)]
    [InlineData("10 MB", 10_485_760)]
    [InlineData("10mb", 10_485_760)]
    [InlineData("10MiB", 10_485_760)]
    [InlineData("1.5GB", 1_610_612_736)]
    [InlineData("2TB", 2_199_023_255_552)]
    public void Size_is_bytes_or_a_binary_unit(string text, long bytes)
    {
        Assert.True(Sizes.TryParse(text, out var value));
        Assert.Equal(bytes, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("MB")]
    [InlineData("-1MB")]
    [InlineData("ten MB")]
    [InlineData("10 PB")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1e30GB")]
    public void Size_that_is_not_a_finite_number_of_bytes_is_rejected(string text)
    {
        Assert.False(Sizes.TryParse(text, out _));
    }

    [Fact]
    public void Size_that_is_not_a_size_is_a_workspace_error()
    {
        AssertSingle(
            "vigil.yaml:6:65: `min_size`: 'a lot' is not a size (write bytes or a unit: 1048576, 500KB, 10MB, 2GB)",
            """
            name: Test
            services:
              - id: backups
                checks:
                  - id: latest
                    file: { glob: "/backups/*.dump", max_age: 1d, min_size: a lot }
            """);
    }

    private static void AssertSingle(string expected, string yaml) => Assert.Equal([expected], TestWorkspace.Errors(yaml));
}

using Microsoft.Extensions.Time.Testing;
using Vigil.Core.Checks;
using Vigil.Core.Workspace;
using static Vigil.Core.Tests.Checks.ProbeTestSupport;

namespace Vigil.Core.Tests.Checks;

public sealed class FileProbeTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly FileProbe probe = new();
    private readonly TempDir dir = new();
    private readonly FakeTimeProvider time = new(Now);

    public void Dispose() => dir.Dispose();

    private Task<Observation> Probe(string glob, TimeSpan? maxAge = null, long? minSize = null) =>
        RunAsync(probe, Make(new FileCheckSpec(glob, maxAge, minSize)), Context(dir.Path, time));

    [Fact]
    public async Task Newest_match_gives_its_age_in_seconds()
    {
        dir.File("backups/a.tar", "old", Now.AddHours(-5).UtcDateTime);
        var newest = dir.File("backups/b.tar", "newer", Now.AddMinutes(-10).UtcDateTime);
        dir.File("backups/c.txt", "not matched", Now.UtcDateTime);

        var seen = await Probe("backups/*.tar");

        Assert.Null(seen.Error);
        Assert.Equal(600, seen.Value);
        Assert.Equal(newest, seen.Body);
        Assert.Contains(seen.Facts, f => f.Contains(newest, StringComparison.Ordinal));
        Assert.Contains(seen.Facts, f => f.StartsWith("size: ", StringComparison.Ordinal));
        Assert.Empty(seen.BuiltInFailures);
    }

    [Fact]
    public async Task Double_star_matches_any_depth_and_question_mark_one_character()
    {
        dir.File("dumps/2026/01/db1.sql", "x", Now.AddDays(-3).UtcDateTime);
        var deepest = dir.File("dumps/2026/02/x/db2.sql", "x", Now.AddDays(-1).UtcDateTime);
        dir.File("dumps/db10.sql", "x", Now.UtcDateTime); // two characters where ? wants one

        var seen = await Probe(Path.Combine(dir.Path, "dumps/**/db?.sql"));

        Assert.Equal(deepest, seen.Body);
        Assert.Equal(86400, seen.Value);
    }

    [Fact]
    public async Task Double_star_also_matches_zero_directories()
    {
        var top = dir.File("logs/app.log", "x", Now.AddSeconds(-5).UtcDateTime);

        var seen = await Probe("logs/**/*.log");

        Assert.Equal(top, seen.Body);
    }

    [Fact]
    public async Task Older_than_max_age_is_a_built_in_failure()
    {
        dir.File("b.tar", "x", Now.AddHours(-26).UtcDateTime);

        var seen = await Probe("*.tar", maxAge: TimeSpan.FromHours(25));

        var failure = Assert.Single(seen.BuiltInFailures);
        Assert.Contains("max_age", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Smaller_than_min_size_is_a_built_in_failure()
    {
        dir.File("b.tar", "tiny", Now.UtcDateTime);

        var seen = await Probe("*.tar", minSize: 1000);

        var failure = Assert.Single(seen.BuiltInFailures);
        Assert.Equal("newest file has 4 bytes, less than min_size 1000", failure);
    }

    [Fact]
    public async Task No_match_is_a_built_in_failure()
    {
        var seen = await Probe("nothing/*.tar");

        Assert.Equal(["no file matches nothing/*.tar"], seen.BuiltInFailures);
        Assert.Null(seen.Value);
    }
}

public sealed class DiskProbeTests
{
    [Fact]
    public async Task Percent_used_of_the_temp_filesystem_is_the_value()
    {
        using var dir = new TempDir();

        var seen = await RunAsync(new DiskProbe(), Make(new DiskCheckSpec(dir.Path)));

        Assert.Null(seen.Error);
        Assert.NotNull(seen.Value);
        Assert.InRange(seen.Value.Value, 0, 100);
        Assert.Contains(seen.Facts, f => f.StartsWith("size ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Percent_used_matches_df()
    {
        var path = Path.GetTempPath();
        var seen = await RunAsync(new DiskProbe(), Make(new DiskCheckSpec(path)));
        var df = await RunAsync(new CommandProbe(), Make(new CommandCheckSpec($"df -P {path} | tail -1 | awk '{{print $5}}' | tr -d %", true, null)));

        Assert.True(double.TryParse(df.Body, System.Globalization.CultureInfo.InvariantCulture, out var expected), df.Body);
        // df rounds up to whole percent; temp files may come and go between the two readings.
        Assert.InRange(seen.Value!.Value, expected - 1.5, expected + 0.5);
    }

    [Fact]
    public async Task A_missing_path_is_an_error()
    {
        var seen = await RunAsync(new DiskProbe(), Make(new DiskCheckSpec("/nonexistent/vigil")));

        Assert.Equal("path does not exist: /nonexistent/vigil", seen.Error);
    }
}

using System.Diagnostics;
using Vigil.Core.Checks;
using Vigil.Core.Workspace;
using static Vigil.Core.Tests.Checks.ProbeTestSupport;

namespace Vigil.Core.Tests.Checks;

public sealed class CommandProbeTests
{
    private readonly CommandProbe probe = new();

    private static Check Command(string run, bool shell = false, string? workingDirectory = null, TimeSpan? timeout = null) =>
        Make(new CommandCheckSpec(run, shell, workingDirectory), timeout);

    [Fact]
    public async Task Exit_code_is_the_status_and_stdout_without_its_trailing_newline_the_body()
    {
        var seen = await RunAsync(probe, Command("echo hello"));

        Assert.Null(seen.Error);
        Assert.Equal(0, seen.Status);
        Assert.Equal("hello", seen.Body);
        Assert.Null(seen.Value);
        Assert.Empty(seen.BuiltInFailures);
    }

    [Fact]
    public async Task The_command_inherits_the_environment_except_vigils_own_variables()
    {
        Environment.SetEnvironmentVariable("VIGIL_CMDPROBE_TEST_SECRET", "s3cret");
        Environment.SetEnvironmentVariable("CMDPROBE_TEST_VISIBLE", "yes");
        try
        {
            var seen = await RunAsync(probe, Command("echo \"${VIGIL_CMDPROBE_TEST_SECRET:-absent} ${CMDPROBE_TEST_VISIBLE:-absent}\"", shell: true));
            Assert.Equal("absent yes", seen.Body);
        }
        finally
        {
            Environment.SetEnvironmentVariable("VIGIL_CMDPROBE_TEST_SECRET", null);
            Environment.SetEnvironmentVariable("CMDPROBE_TEST_VISIBLE", null);
        }
    }

    [Fact]
    public async Task Numeric_stdout_becomes_the_value()
    {
        var seen = await RunAsync(probe, Command("echo 42.5"));

        Assert.Equal(42.5, seen.Value);
    }

    [Fact]
    public async Task Non_zero_exit_is_a_built_in_failure()
    {
        var seen = await RunAsync(probe, Command("false"));

        Assert.Null(seen.Error);
        Assert.Equal(1, seen.Status);
        Assert.Equal(["exited with 1"], seen.BuiltInFailures);
    }

    [Fact]
    public async Task Without_shell_quotes_group_arguments_and_nothing_is_expanded()
    {
        var seen = await RunAsync(probe, Command("echo 'a  b' \"c \\\"d\\\"\" e\\ f $HOME"));

        Assert.Equal("a  b c \"d\" e f $HOME", seen.Body);
    }

    [Fact]
    public async Task With_shell_the_line_runs_under_sh()
    {
        var seen = await RunAsync(probe, Command("echo one; echo two >&2; exit 2", shell: true));

        Assert.Equal(2, seen.Status);
        Assert.Equal("one", seen.Body);
        Assert.Contains(seen.Facts, f => f == "stderr: two");
        Assert.Equal(["exited with 2"], seen.BuiltInFailures);
    }

    [Fact]
    public async Task Working_directory_is_relative_to_the_workspace()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(Path.Combine(dir.Path, "sub"));

        var seen = await RunAsync(probe, Command("pwd", workingDirectory: "sub"), Context(dir.Path));

        Assert.Equal(Path.Combine(dir.Path, "sub"), seen.Body);
    }

    [Fact]
    public async Task A_missing_program_is_an_error()
    {
        var seen = await RunAsync(probe, Command("/nonexistent/program"));

        Assert.NotNull(seen.Error);
        Assert.Null(seen.Status);
    }

    [Fact]
    public async Task An_unterminated_quote_is_an_error()
    {
        var seen = await RunAsync(probe, Command("echo 'oops"));

        Assert.Equal("cannot parse run: unterminated single quote", seen.Error);
    }

    [Fact]
    public async Task Timeout_kills_the_whole_process_tree()
    {
        using var dir = new TempDir();
        var pidFile = Path.Combine(dir.Path, "child.pid");
        var started = Stopwatch.StartNew();

        // sh starts a sleeping grandchild and waits for it; both must die at the timeout.
        var seen = await RunAsync(probe, Command($"sleep 30 & echo $! > {pidFile}; wait", shell: true, timeout: TimeSpan.FromMilliseconds(500)));

        Assert.InRange(started.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.Equal("timed out after 500ms; its process group was killed", seen.Error);
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < 50 && Alive(pid); i++) await Task.Delay(100, Ct);
        Assert.False(Alive(pid), $"sleep (pid {pid}) survived the timeout");
    }

    [Fact]
    public async Task Timeout_kills_an_orphaned_background_job_too()
    {
        using var dir = new TempDir();
        var pidFile = Path.Combine(dir.Path, "orphan.pid");

        // The subshell exits at once, so its sleep is re-parented away from the tree; only the process group still holds it.
        var seen = await RunAsync(probe, Command($"(sleep 30 & echo $! > {pidFile}); sleep 30", shell: true, timeout: TimeSpan.FromMilliseconds(500)));

        Assert.Equal("timed out after 500ms; its process group was killed", seen.Error);
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < 50 && Alive(pid); i++) await Task.Delay(100, Ct);
        Assert.False(Alive(pid), $"the orphaned sleep (pid {pid}) survived the timeout");
    }

    [Fact]
    public async Task A_program_not_on_the_path_is_named_in_the_error()
    {
        var seen = await RunAsync(probe, Command("no-such-program-vigil --version"));

        Assert.Equal("cannot start no-such-program-vigil: no such program on the PATH", seen.Error);
    }

    [Fact]
    public async Task Stdout_is_bounded()
    {
        var seen = await RunAsync(probe, Command("head -c 200000 /dev/zero", shell: true));

        Assert.Equal(0, seen.Status);
        Assert.Equal(CommandProbe.MaxStdoutChars, seen.Body!.Length);
        Assert.Contains(seen.Facts, f => f.Contains("truncated", StringComparison.Ordinal));
    }

    private static bool Alive(int pid)
    {
        // A killed child not yet reaped by its (also killed) parent shows as a zombie: dead for our purpose.
        var status = $"/proc/{pid}/status";
        if (!File.Exists(status)) return false;
        try
        {
            return !File.ReadAllText(status).Contains("State:\tZ", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }
}

using System.Text;
using Vigil.Core.Runbooks;

namespace Vigil.Core.Tests.Runbooks;

public sealed class StepRunnerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(StepRunResult Result, string Output)> RunAsync(string script, Dictionary<string, string>? env = null, TimeSpan? timeout = null, long limit = 1024 * 1024, CancellationToken? cancel = null)
    {
        var output = new StringBuilder();
        var result = await StepRunner.RunAsync(new StepRunRequest(script, Path.GetTempPath(), env ?? new() { ["PATH"] = "/usr/bin:/bin" }, timeout ?? TimeSpan.FromSeconds(30), limit),
            piece => { lock (output) output.Append(piece); }, TimeProvider.System, cancel ?? Ct);
        return (result, output.ToString());
    }

    [Fact]
    public async Task The_script_sees_only_the_environment_it_is_given()
    {
        Environment.SetEnvironmentVariable("VIGIL_RUNNER_TEST_SECRET", "leaked");
        var (result, output) = await RunAsync("env | sort", new() { ["PATH"] = "/usr/bin:/bin", ["ONLY"] = "this" }, cancel: Ct);
        Assert.Equal((RunOutcome.Exited, 0), (result.Outcome, result.ExitCode));
        Assert.Contains("ONLY=this\n", output);
        Assert.DoesNotContain("leaked", output);
        Assert.DoesNotContain("HOME=", output);
    }

    [Fact]
    public async Task Exit_codes_and_stderr_come_back_and_set_e_stops_at_the_first_failure()
    {
        var (result, output) = await RunAsync("set -e\necho one\necho oops >&2\nfalse\necho never\n", cancel: Ct);
        Assert.Equal((RunOutcome.Exited, 1), (result.Outcome, result.ExitCode));
        Assert.Contains("one\n", output);
        Assert.Contains("oops\n", output);
        Assert.DoesNotContain("never", output);
    }

    [Fact]
    public async Task A_cancel_kills_the_group_including_an_orphaned_background_job()
    {
        var pidFile = Path.Combine(Path.GetTempPath(), $"vigil-runner-{Guid.NewGuid():N}.pid");
        using var cancel = new CancellationTokenSource();
        var run = RunAsync($"(sleep 300 & echo $! > {pidFile}); sleep 300", cancel: cancel.Token);
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!(File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0) && DateTime.UtcNow < until) await Task.Delay(50, Ct);
        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await cancel.CancelAsync();
        var (result, _) = await run;
        Assert.Equal(RunOutcome.Canceled, result.Outcome);
        until = DateTime.UtcNow.AddSeconds(5);
        while (Alive(pid) && DateTime.UtcNow < until) await Task.Delay(50, Ct);
        Assert.False(Alive(pid), $"the orphaned job {pid} survived");
        File.Delete(pidFile);
    }

    [Fact]
    public async Task Output_beyond_the_limit_is_dropped_in_whole_lines_and_flagged()
    {
        var (result, output) = await RunAsync("seq 1 100000", limit: 2048, cancel: Ct);
        Assert.True(result.Truncated);
        Assert.Equal(RunOutcome.Exited, result.Outcome);
        var kept = output[..output.IndexOf("\n[output truncated", StringComparison.Ordinal)];
        Assert.InRange(Encoding.UTF8.GetByteCount(kept), 2000, 2048);
        Assert.EndsWith("\n", kept);
    }

    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}

public sealed class SqlStepRunnerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> CreateAsync()
    {
        var dir = Directory.CreateTempSubdirectory("vigil-sqlstep-").FullName;
        await using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dir, "app.db")};Pooling=false");
        await c.OpenAsync(Ct);
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT); INSERT INTO jobs VALUES (1, 'stuck'), (2, NULL);";
        await cmd.ExecuteNonQueryAsync(Ct);
        return dir;
    }

    private static async Task<(StepRunResult Result, string Output)> RunAsync(string dir, bool readOnly, params string[] statements)
    {
        var output = new StringBuilder();
        var request = new SqlStepRequest(new Vigil.Core.Workspace.RunbookDatabase(Vigil.Core.Workspace.SqlDriver.Sqlite, "app.db"), dir, statements, readOnly, TimeSpan.FromSeconds(10), 1024 * 1024);
        var result = await SqlStepRunner.RunAsync(request, piece => output.Append(piece), TimeProvider.System, Ct);
        return (result, output.ToString());
    }

    [Fact]
    public async Task Rows_print_as_a_table_with_nulls_and_a_count()
    {
        var dir = await CreateAsync();
        var (result, output) = await RunAsync(dir, true, "SELECT id, state FROM jobs ORDER BY id;");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("=> SELECT id, state FROM jobs ORDER BY id;\nid | state\n---+------\n1 | stuck\n2 | NULL\n(2 rows)\n", output);
    }

    [Fact]
    public async Task A_read_only_step_cannot_write_even_if_its_statement_would()
    {
        var dir = await CreateAsync();
        var (result, output) = await RunAsync(dir, true, "DELETE FROM jobs;");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("ERROR:", output);
        var (_, rows) = await RunAsync(dir, true, "SELECT count(*) AS n FROM jobs;");
        Assert.Contains("\n2\n", rows);
    }

    [Fact]
    public async Task A_failing_statement_rolls_back_the_whole_step()
    {
        var dir = await CreateAsync();
        var (result, output) = await RunAsync(dir, false, "UPDATE jobs SET state = 'queued' WHERE id = 1;", "UPDATE nope SET x = 1;");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("(1 row affected)", output);
        Assert.Contains("rolled back", output);
        var (_, rows) = await RunAsync(dir, true, "SELECT state FROM jobs WHERE id = 1;");
        Assert.Contains("\nstuck\n", rows);
    }
}

public sealed class PostgresSqlStepRunnerTests(Vigil.Core.Tests.Checks.PostgresTestDatabase database) : IClassFixture<Vigil.Core.Tests.Checks.PostgresTestDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(StepRunResult Result, string Output)> RunAsync(bool readOnly, string statement)
    {
        var output = new StringBuilder();
        var request = new SqlStepRequest(new Vigil.Core.Workspace.RunbookDatabase(Vigil.Core.Workspace.SqlDriver.Postgres, database.Url), Path.GetTempPath(), [statement], readOnly, TimeSpan.FromSeconds(30), 1024 * 1024);
        var result = await SqlStepRunner.RunAsync(request, piece => output.Append(piece), TimeProvider.System, Ct);
        return (result, output.ToString());
    }

    [Fact]
    public async Task A_read_only_step_runs_in_a_read_only_transaction_and_a_mutating_one_commits()
    {
        database.SkipUnlessAvailable();
        var (denied, output) = await RunAsync(true, "UPDATE jobs SET state = 'queued' WHERE state = 'stuck'");
        Assert.Equal(1, denied.ExitCode);
        Assert.Contains("read-only transaction", output);
        Assert.DoesNotContain(database.Password, output);

        var (done, changed) = await RunAsync(false, "UPDATE jobs SET state = 'queued' WHERE id = 1");
        Assert.Equal(0, done.ExitCode);
        Assert.Contains("(1 row affected)", changed);
        var (_, rows) = await RunAsync(true, "SELECT state FROM jobs WHERE id = 1");
        Assert.Equal("=> SELECT state FROM jobs WHERE id = 1\nstate\n-----\nqueued\n(1 row)\n", rows);
    }

    [Fact]
    public async Task A_timeout_cancels_the_statement_and_rolls_back()
    {
        database.SkipUnlessAvailable();
        var output = new StringBuilder();
        var request = new SqlStepRequest(new Vigil.Core.Workspace.RunbookDatabase(Vigil.Core.Workspace.SqlDriver.Postgres, database.Url), Path.GetTempPath(),
            ["UPDATE jobs SET state = 'lost' WHERE id = 3", "SELECT pg_sleep(30)"], false, TimeSpan.FromSeconds(1), 1024 * 1024);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var result = await SqlStepRunner.RunAsync(request, piece => output.Append(piece), TimeProvider.System, Ct);
        Assert.Equal(RunOutcome.TimedOut, result.Outcome);
        Assert.InRange(started.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        var (_, rows) = await RunAsync(true, "SELECT state FROM jobs WHERE id = 3");
        Assert.Contains("\ndone\n", rows);
    }
}

using Vigil.Cli;
using Vigil.Core.Checks;
using Vigil.Core.Workspace;

namespace Vigil.Web.Tests;

public sealed class CheckCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Workspace = """
        name: Shop
        services:
          - id: web
            name: Web
            checks:
              - id: health
                http: { url: "http://127.0.0.1:9/health" }
                timeout: 1s
                conditions: ["[STATUS] == 200"]
                warn: ["[RESPONSE_TIME] < 300"]
          - id: jobs
            name: Jobs
            checks:
              - id: backup
                heartbeat: { period: 1d, grace: 2h }
              - id: report
                heartbeat: { schedule: "0 6 * * MON", timezone: Europe/Berlin, grace: 1h, key: report-key-0123 }
        """;

    private static readonly Dictionary<string, string?> NoEnv = [];

    private sealed class FakeProbe(Func<CancellationToken, Task<Observation>> probe) : ICheckProbe
    {
        public CheckKind Kind => CheckKind.Http;

        public Task<Observation> ProbeAsync(Check check, ProbeContext context, CancellationToken ct) => probe(ct);
    }

    /// <summary>Judges only [STATUS] == 200 (down) and [RESPONSE_TIME] &lt; 300 (degraded), enough to drive the printer.</summary>
    private sealed class FakeEvaluator : ICheckEvaluator
    {
        public CheckOutcome Evaluate(Check check, Observation o)
        {
            var status = new ConditionOutcome("[STATUS] == 200", o.Status == 200, $"[STATUS] ({o.Status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}) == 200", false);
            var ms = o.ResponseTime.TotalMilliseconds;
            var fast = new ConditionOutcome("[RESPONSE_TIME] < 300", ms < 300, $"[RESPONSE_TIME] ({ms}) < 300", true);
            var verdict = !status.Ok ? CheckStatus.Down : !fast.Ok ? CheckStatus.Degraded : CheckStatus.Up;
            var message = !status.Ok ? status.Message : !fast.Ok ? fast.Message : "";
            return new CheckOutcome(verdict, message, [status, fast]);
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(Func<CancellationToken, Task<Observation>> probe)
    {
        var dir = Directory.CreateTempSubdirectory("vigil-check-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "vigil.yaml"), Workspace, Ct);
        var w = new WorkspaceLoader(_ => null).Load(dir).Workspace!;
        var service = w.FindService("web")!;
        var runner = new CheckReport(new Dictionary<CheckKind, ICheckProbe> { [CheckKind.Http] = new FakeProbe(probe) }, new FakeEvaluator(), TimeProvider.System);
        var output = new StringWriter();
        var code = await runner.RunAsync(w, service, service.Checks[0], output, Ct);
        return (code, output.ToString());
    }

    [Fact]
    public async Task An_up_check_prints_what_it_saw_each_condition_and_exits_0()
    {
        var (code, output) = await RunAsync(_ =>
        {
            var o = new Observation { Connected = true, Status = 200, Body = "{\"status\":\"ok\"}", ResponseTime = TimeSpan.FromMilliseconds(42) };
            o.Facts.Add("GET http://127.0.0.1:9/health → 200 OK");
            return Task.FromResult(o);
        });
        Assert.Equal(0, code);
        Assert.Contains("web/health: http check (timeout 1s)", output);
        Assert.Contains("GET http://127.0.0.1:9/health → 200 OK", output);
        Assert.Matches(@"\[STATUS\]\s+200", output);
        Assert.Matches(@"\[RESPONSE_TIME\]\s+42 ms", output);
        Assert.Contains("{\"status\":\"ok\"}", output);
        Assert.Contains("✓ [STATUS] (200) == 200", output);
        Assert.Contains("✓ [RESPONSE_TIME] (42) < 300   (warn)", output);
        Assert.EndsWith("verdict: up\n", output.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_degraded_or_down_check_shows_the_failing_condition_and_exits_1()
    {
        var slow = await RunAsync(_ => Task.FromResult(new Observation { Connected = true, Status = 200, ResponseTime = TimeSpan.FromMilliseconds(450) }));
        Assert.Equal(1, slow.Code);
        Assert.Contains("✗ [RESPONSE_TIME] (450) < 300   (warn)", slow.Output);
        Assert.Contains("verdict: degraded: [RESPONSE_TIME] (450) < 300", slow.Output);

        var down = await RunAsync(_ => Task.FromResult(new Observation { Connected = true, Status = 503 }));
        Assert.Equal(1, down.Code);
        Assert.Contains("✗ [STATUS] (503) == 200", down.Output);
        Assert.Contains("verdict: down: [STATUS] (503) == 200", down.Output);
    }

    [Fact]
    public async Task A_probe_that_hangs_is_cut_at_the_check_timeout()
    {
        var (code, output) = await RunAsync(async ct =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return new Observation();
        });
        Assert.Equal(1, code);
        Assert.Contains("error: timed out after 1s", output);
        Assert.Contains("verdict: down", output);
    }

    private static async Task<string> WorkspaceDirAsync()
    {
        var dir = Directory.CreateTempSubdirectory("vigil-check-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "vigil.yaml"), Workspace, Ct);
        return dir;
    }

    [Fact]
    public async Task The_verb_lists_the_available_checks_for_an_unknown_one_and_reports_workspace_errors()
    {
        var dir = await WorkspaceDirAsync();
        var unknown = await VigilProcess.RunAsync(NoEnv, "check", dir, "web/nope");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("no check 'web/nope'", unknown.Stderr);
        Assert.Contains("Available: web/health, jobs/backup, jobs/report", unknown.Stderr);

        await File.WriteAllTextAsync(Path.Combine(dir, "vigil.yaml"), Workspace.Replace("timeout: 1s", "timeout: 1 second", StringComparison.Ordinal), Ct);
        var bad = await VigilProcess.RunAsync(NoEnv, "check", dir, "web/health");
        Assert.Equal(1, bad.ExitCode);
        Assert.StartsWith("vigil.yaml:8:", bad.Stdout);
    }

    [Fact]
    public async Task The_verb_prints_a_heartbeats_ping_URL_and_expectation_instead_of_probing()
    {
        var dir = await WorkspaceDirAsync();
        var report = await VigilProcess.RunAsync(NoEnv, "check", dir, "jobs/report", "--url", "https://vigil.example.com/");
        Assert.Equal(0, report.ExitCode);
        Assert.Contains("ping URL: https://vigil.example.com/ping/report-key-0123", report.Stdout);
        Assert.Contains("expects:  a ping by cron \"0 6 * * MON\" (Europe/Berlin), late after 1h more", report.Stdout);

        // A generated key exists once the server has run on the workspace.
        var before = await VigilProcess.RunAsync(NoEnv, "check", dir, "jobs/backup");
        Assert.Equal(0, before.ExitCode);
        Assert.Contains("not generated yet", before.Stdout);
        string key;
        await using (var host = await TestHost.StartAsync(workspaceDirectory: dir))
        {
            await using var db = await Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
                .GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Vigil.Storage.VigilDbContext>>(host.App.Services).CreateDbContextAsync(Ct);
            key = db.Heartbeats.Single(h => h.CheckId == "backup").Key;
        }
        var after = await VigilProcess.RunAsync(NoEnv, "check", dir, "jobs/backup");
        Assert.Equal(0, after.ExitCode);
        Assert.Contains($"ping URL: http://127.0.0.1:5080/ping/{key}", after.Stdout);
        Assert.Contains("expects:  a ping every 1d, late after 2h more", after.Stdout);
    }
}

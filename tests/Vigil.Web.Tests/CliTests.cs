namespace Vigil.Web.Tests;

/// <summary>The command line as a user runs it: real process, real exit codes.</summary>
public sealed class CliTests
{
    private static readonly Dictionary<string, string?> NoEnv = [];

    [Fact]
    public async Task Version_prints_the_version_and_exits_0()
    {
        var (code, stdout, _) = await VigilProcess.RunAsync(NoEnv, "version");
        Assert.Equal(0, code);
        Assert.Matches(@"^vigil \d+\.\d+\.\d+", stdout);
    }

    [Fact]
    public async Task Usage_errors_exit_2_and_every_verb_has_help()
    {
        Assert.Equal(2, (await VigilProcess.RunAsync(NoEnv, "no-such-verb")).ExitCode);
        Assert.Equal(2, (await VigilProcess.RunAsync(NoEnv, "serve")).ExitCode);
        Assert.Equal(2, (await VigilProcess.RunAsync(NoEnv, "token", "create", "--name", "x")).ExitCode);
        foreach (var verb in new[] { "serve", "demo", "validate", "check", "version", "token", "token create", "token list", "token revoke", "runbook", "runbook show", "lint", "import" })
        {
            var (code, stdout, _) = await VigilProcess.RunAsync(NoEnv, [.. verb.Split(' '), "--help"]);
            Assert.Equal(0, code);
            Assert.Contains("Usage:", stdout);
        }
    }

    [Fact]
    public async Task Runbook_show_prints_the_model_as_text_or_json_with_every_commands_risk()
    {
        var file = Path.Combine(AppContext.BaseDirectory, "examples", "stm-intelligence-brief", "runbooks", "stm-intelligence-brief.md");
        var text = await VigilProcess.RunAsync(NoEnv, "runbook", "show", file);
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("### Service Down  #service-down", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("$ docker compose restart backend  [mutating, bash, line 179]", text.Stdout, StringComparison.Ordinal);

        var json = await VigilProcess.RunAsync(NoEnv, "runbook", "show", file, "--format", "json");
        Assert.Equal(0, json.ExitCode);
        using var doc = System.Text.Json.JsonDocument.Parse(json.Stdout);
        var down = doc.RootElement.GetProperty("sections")[0].GetProperty("sections").EnumerateArray()
            .SelectMany(s => s.GetProperty("sections").EnumerateArray()).Single(s => s.GetProperty("anchor").GetString() == "service-down");
        var restart = down.GetProperty("steps")[2].GetProperty("commands")[0];
        Assert.Equal(("docker compose restart backend", "bash", "mutating", 179),
            (restart.GetProperty("text").GetString(), restart.GetProperty("language").GetString(), restart.GetProperty("risk").GetString(), restart.GetProperty("line").GetInt32()));
        Assert.NotEmpty(restart.GetProperty("reasons").EnumerateArray());

        Assert.Equal(1, (await VigilProcess.RunAsync(NoEnv, "runbook", "show", file + ".missing")).ExitCode);
        Assert.Equal(2, (await VigilProcess.RunAsync(NoEnv, "runbook", "show", file, "--format", "yaml")).ExitCode);
    }

    [Fact]
    public async Task Lint_exits_1_on_an_error_finding_and_0_on_a_clean_runbook_in_text_or_json()
    {
        var dir = Directory.CreateTempSubdirectory("vigil-lint-").FullName;
        var bad = Path.Combine(dir, "bad.md");
        var clean = Path.Combine(dir, "clean.md");
        await File.WriteAllTextAsync(bad, "# Ops\n\n## Reset\n\n```bash\ndocker compose down -v\n```\n", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(clean, "# Ops\n\n## Status\n\n```bash\ndocker compose ps\n```\n", TestContext.Current.CancellationToken);
        var text = await VigilProcess.RunAsync(NoEnv, "lint", bad, clean);
        Assert.Equal(1, text.ExitCode);
        Assert.StartsWith($"{bad}:6: error destructive-without-warning:", text.Stdout, StringComparison.Ordinal);
        var json = await VigilProcess.RunAsync(NoEnv, "lint", bad, "--format", "json");
        var finding = System.Text.Json.JsonDocument.Parse(json.Stdout).RootElement.EnumerateArray().Single();
        Assert.Equal((bad, 6, "error", "destructive-without-warning"), (finding.GetProperty("file").GetString(), finding.GetProperty("line").GetInt32(),
            finding.GetProperty("severity").GetString(), finding.GetProperty("rule").GetString()));
        Assert.Equal(0, (await VigilProcess.RunAsync(NoEnv, "lint", clean)).ExitCode);
    }

    [Fact]
    public async Task Import_drafts_a_workspace_that_validate_accepts_and_refuses_to_overwrite_one()
    {
        var file = Path.Combine(AppContext.BaseDirectory, "examples", "stm-intelligence-brief", "runbooks", "stm-intelligence-brief.md");
        var dir = Path.Combine(Directory.CreateTempSubdirectory("vigil-import-").FullName, "draft");
        var imported = await VigilProcess.RunAsync(NoEnv, "import", file, "--out", dir);
        Assert.True(imported.ExitCode == 0, imported.Stdout + imported.Stderr);
        Assert.StartsWith($"drafted {Path.Combine(dir, "vigil.yaml")}:", imported.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir, "runbooks", "stm-intelligence-brief.md")));
        Assert.Contains("## Not understood", await File.ReadAllTextAsync(Path.Combine(dir, "IMPORT.md"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
        var validated = await VigilProcess.RunAsync(NoEnv, "validate", dir);
        Assert.Equal(0, validated.ExitCode);
        Assert.Equal(1, (await VigilProcess.RunAsync(NoEnv, "import", file, "--out", dir)).ExitCode);
    }

    [Fact]
    public async Task Validate_exits_0_for_a_good_workspace_and_1_with_file_line_col_errors()
    {
        var dir = Directory.CreateTempSubdirectory("vigil-cli-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "vigil.yaml"), TestHost.MinimalWorkspace, TestContext.Current.CancellationToken);
        var ok = await VigilProcess.RunAsync(NoEnv, "validate", dir);
        Assert.Equal(0, ok.ExitCode);
        Assert.StartsWith("ok: workspace 'Test Team'", ok.Stdout);

        await File.WriteAllTextAsync(Path.Combine(dir, "vigil.yaml"), TestHost.MinimalWorkspace.Replace("respond_within: 15m", "respond_within: 15 minutes", StringComparison.Ordinal)
            .Replace("severity: P1", "severity: P9", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        var bad = await VigilProcess.RunAsync(NoEnv, "validate", dir);
        Assert.Equal(1, bad.ExitCode);
        var lines = bad.Stdout.Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("vigil.yaml:3:", lines[0]);
        Assert.Contains("use 15m", lines[0]);
        Assert.StartsWith("vigil.yaml:11:", lines[1]);
        Assert.Contains("no severity 'P9'", lines[1]);
    }

    [Fact]
    public async Task Token_create_prints_the_token_once_and_it_works_against_the_server()
    {
        var dir = Directory.CreateTempSubdirectory("vigil-cli-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "vigil.yaml"), TestHost.MinimalWorkspace, TestContext.Current.CancellationToken);
        var created = await VigilProcess.RunAsync(NoEnv, "token", "create", "--name", "ops", "--role", "responder", "--workspace", dir);
        Assert.Equal(0, created.ExitCode);
        var token = created.Stdout.Trim();
        Assert.Matches("^vgl_[A-Za-z0-9_-]{43}$", token);
        Assert.DoesNotContain(token, created.Stderr);

        var listed = await VigilProcess.RunAsync(NoEnv, "token", "list", "--workspace", dir);
        Assert.Equal(0, listed.ExitCode);
        Assert.Contains("ops", listed.Stdout);
        Assert.Contains("responder", listed.Stdout);
        Assert.DoesNotContain(token, listed.Stdout);

        await using var host = await TestHost.StartAsync(workspaceDirectory: dir);
        using var client = host.ClientWith(token);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/api/v1/services", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/tokens", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(2, (await VigilProcess.RunAsync(NoEnv, "token", "create", "--name", "x", "--role", "root", "--workspace", dir)).ExitCode);
    }

    [Fact]
    public async Task Serve_refuses_an_invalid_workspace_with_its_errors_and_exit_1()
    {
        var dir = Directory.CreateTempSubdirectory("vigil-cli-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "vigil.yaml"), "name: x\nservices:\n  - id: a\n    escalation: nope\n", TestContext.Current.CancellationToken);
        var (code, _, stderr) = await VigilProcess.RunAsync(NoEnv, "serve", "--workspace", dir, "--urls", "http://127.0.0.1:0");
        Assert.Equal(1, code);
        Assert.Contains("vigil.yaml:4:17: no escalation policy 'nope'", stderr);
    }

    [Fact]
    public async Task Serve_on_a_port_already_taken_says_so_and_exits_1_without_a_crash()
    {
        var dir = Directory.CreateTempSubdirectory("vigil-cli-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "vigil.yaml"),
            "name: x\nservices:\n  - id: web\n    checks:\n      - { id: nightly, heartbeat: { period: 1d } }\n", TestContext.Current.CancellationToken);
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var (code, _, stderr) = await VigilProcess.RunAsync(NoEnv, "serve", "--workspace", dir, "--data", Path.Combine(dir, "data"), "--urls", $"http://127.0.0.1:{port}");
        Assert.Equal(1, code);
        Assert.Contains($"vigil: cannot start: Failed to bind to address http://127.0.0.1:{port}: address already in use.", stderr);
        // Shutting down what had started (the check engine among it) must not crash on the way out.
        Assert.DoesNotContain("Unhandled exception", stderr);
        Assert.DoesNotContain("ObjectDisposedException", stderr);
    }

    [Fact]
    public async Task Demo_starts_from_any_folder_and_serves_the_bundled_workspace()
    {
        await using var vigil = VigilProcess.Start(NoEnv, "demo", "--urls", "http://127.0.0.1:0");
        var address = await vigil.WaitForAddressAsync();
        using var client = new HttpClient { BaseAddress = address };
        var health = await client.GetStringAsync("/health", TestContext.Current.CancellationToken);
        Assert.Contains("\"ok\"", health);
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(vigil.Output.Contains("Bearer vgl_", StringComparison.Ordinal))));
        var token = System.Text.RegularExpressions.Regex.Match(vigil.Output, "Bearer (vgl_[A-Za-z0-9_-]+)").Groups[1].Value;
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var services = await client.GetStringAsync("/api/v1/services", TestContext.Current.CancellationToken);
        Assert.Contains("\"items\"", services);
        Assert.DoesNotContain("\"total\":0", services);
    }

    [Fact]
    public async Task Serve_rejects_bad_engine_settings_with_a_usage_error()
    {
        var bad = await VigilProcess.RunAsync(NoEnv, "serve", "--workspace", ".", "--keep-results", "10 minutes");
        Assert.Equal(2, bad.ExitCode);
        var concurrency = await VigilProcess.RunAsync(NoEnv, "serve", "--workspace", ".", "--check-concurrency", "0");
        Assert.Equal(2, concurrency.ExitCode);
        Assert.Contains("--check-concurrency must be at least 1", concurrency.Stderr);
        var short_ = await VigilProcess.RunAsync(NoEnv, "serve", "--workspace", ".", "--keep-results", "10m");
        Assert.Equal(2, short_.ExitCode);
        Assert.Contains("'10m' is not a duration of at least 1h", short_.Stderr);
    }
}

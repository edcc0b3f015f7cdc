using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Vigil.Storage;

namespace Vigil.Web.Tests.Runbooks;

/// <summary>
/// Runbooks in incident response on a real host: real processes on this machine, real files they touch, the real
/// database. A refused step is shown not to have run by the file it would have changed.
/// </summary>
public abstract class IncidentRunbookTests(Db provider)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Password = "s3cret-Pa55word-xyz";
    private const string AmKey = "am-runbook-key-0123456789abcdef";

    private static string Workspace(string runbooks) => $$"""
        name: Runbook Test
        severities:
          - { id: P1, name: Critical, respond_within: 15m, page: true }
        channels:
          - { id: hook, type: webhook, url: "http://127.0.0.1:9/hook", secret: "${DB_PASSWORD}" }
        services:
          - id: backend
            name: Backend API
            runbook: runbooks/ops.md
        integrations:
          - { id: prom, type: alertmanager, service: backend, key: "{{AmKey}}" }
        {{runbooks}}
        """;

    private const string Enabled = """
        runbooks:
          execution: enabled
          step_timeout: 6s
          output_limit: 1KB
          environment: [PATH, HOME, DB_PASSWORD]
        """;

    private static string Runbook(string dir) => $"""
        # Ops

        **Last Updated:** 2026-11-01

        ## Service Down

        1. Look: `echo read-only-ran`
        2. Touch: `touch {dir}/mutated`
        3. Wipe: `rm -rf {dir}/victim`
        4. Say: `echo said <word>`
        5. Grep: `echo 'pattern <pattern>'`
        6. Hang:
           ```bash
           (sleep 300 & echo $! > {dir}/bg.pid); sleep 300
           ```
        7. Count: `seq 1 5000`
        8. Tick:
           ```bash
           for i in 1 2 3; do echo tick $i; sleep 0.5; done
           ```
        9. Secret: `echo "pw=$DB_PASSWORD token=<api_token>"`

        ### Check the jobs

        ```sql
        SELECT count(*) FROM jobs WHERE state = 'stuck';
        ```

        ### Requeue a stuck job

        ```sql
        UPDATE jobs SET state = 'queued' WHERE id = job_id_here AND state = 'stuck';
        ```

        ## Database

        1. Vacuum: `psql -c "VACUUM"`
        """;

    private sealed record Env(TestHost Host, string Dir) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Host.DisposeAsync();
    }

    private async Task<Env> StartAsync(string settings = Enabled, string? database = null)
    {
        var ws = Directory.CreateTempSubdirectory("vigil-rb-").FullName;
        var dir = Directory.CreateTempSubdirectory("vigil-rb-files-").FullName;
        Directory.CreateDirectory(Path.Combine(ws, "runbooks"));
        Directory.CreateDirectory(Path.Combine(dir, "victim"));
        await File.WriteAllTextAsync(Path.Combine(ws, "runbooks", "ops.md"), Runbook(dir), Ct);
        await File.WriteAllTextAsync(Path.Combine(ws, "vigil.yaml"), Workspace(settings), Ct);
        var env = new Dictionary<string, string?>
        {
            ["VIGIL_BOOTSTRAP_TOKEN"] = TestHost.BootstrapToken,
            ["DB_PASSWORD"] = Password,
            ["PATH"] = Environment.GetEnvironmentVariable("PATH"),
            ["HOME"] = Environment.GetEnvironmentVariable("HOME"),
        };
        return new Env(await TestHost.StartAsync(db: provider, env: env, workspaceDirectory: ws, database: database), dir);
    }

    private static async Task<long> OpenIncidentAsync(TestHost host)
    {
        var r = await host.Admin.PostAsJsonAsync("/api/v1/incidents", new { title = "Backend down", service = "backend", runbook = "#service-down" }, Ct);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return (await r.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
    }

    private static async Task<JsonElement> RunbookOfAsync(TestHost host, long incident)
    {
        var r = await host.Admin.GetAsync($"/api/v1/incidents/{incident}/runbook", Ct);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return await r.Content.ReadFromJsonAsync<JsonElement>(Ct);
    }

    private static async Task<string> StepIdAsync(TestHost host, long incident, string title) =>
        (await RunbookOfAsync(host, incident)).GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("title").GetString()!.TrimEnd(':').StartsWith(title, StringComparison.Ordinal)).GetProperty("id").GetString()!;

    private static Task<HttpResponseMessage> RunAsync(HttpClient client, long incident, string step, object body) =>
        client.PostAsJsonAsync($"/api/v1/incidents/{incident}/runbook/steps/{step}/run", body, Ct);

    private static async Task<JsonElement> EndOfAsync(TestHost host, long execution)
    {
        JsonElement e = default;
        Assert.True(await TestHost.EventuallyAsync(async () =>
        {
            e = await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/executions/{execution}", Ct);
            return e.GetProperty("status").GetString() != "running";
        }), "the run did not end");
        return e;
    }

    private static async Task<JsonElement> RunToEndAsync(TestHost host, long incident, string step, object body)
    {
        var r = await RunAsync(host.Admin, incident, step, body);
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        var started = await r.Content.ReadFromJsonAsync<JsonElement>(Ct);
        return await EndOfAsync(host, started.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Execution_is_disabled_by_default_and_a_run_then_answers_409_saying_how_to_enable_it_and_runs_nothing()
    {
        await using var env = await StartAsync(settings: "");
        var host = env.Host;
        var incident = await OpenIncidentAsync(host);
        var runbook = await RunbookOfAsync(host, incident);
        Assert.Equal("disabled", runbook.GetProperty("execution").GetString());
        var step = await StepIdAsync(host, incident, "Touch");
        var r = await RunAsync(host.Admin, incident, step, new { confirm = "backend" });
        Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
        var problem = await r.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Contains("execution: enabled", problem.GetProperty("detail").GetString());
        await Task.Delay(300, Ct);
        Assert.False(File.Exists(Path.Combine(env.Dir, "mutated")));
        var audit = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?action=runbook.step.run", Ct);
        Assert.Equal("failed", audit.GetProperty("items")[0].GetProperty("outcome").GetString());
        // Following by hand still works.
        Assert.Equal(HttpStatusCode.OK, (await host.Admin.PostAsJsonAsync($"/api/v1/incidents/{incident}/runbook/steps/{step}/complete", new { note = "done by hand" }, Ct)).StatusCode);
    }

    [Fact]
    public async Task Role_risk_and_confirmation_decide_what_runs_and_a_refused_step_demonstrably_does_not_run()
    {
        await using var env = await StartAsync();
        var host = env.Host;
        var incident = await OpenIncidentAsync(host);
        var steps = new Dictionary<string, string>
        {
            ["read-only"] = await StepIdAsync(host, incident, "Look"),
            ["mutating"] = await StepIdAsync(host, incident, "Touch"),
            ["destructive"] = await StepIdAsync(host, incident, "Wipe"),
        };
        var runbook = await RunbookOfAsync(host, incident);
        foreach (var (risk, id) in steps)
        {
            Assert.Equal(risk, runbook.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == id).GetProperty("risk").GetString());
        }
        var clients = new Dictionary<string, HttpClient>
        {
            ["viewer"] = host.ClientWith((await host.CreateTokenAsync("vera", "viewer")).Token),
            ["responder"] = host.ClientWith((await host.CreateTokenAsync("rita", "responder")).Token),
            ["admin"] = host.ClientWith((await host.CreateTokenAsync("adam", "admin")).Token),
        };
        var confirmations = new Dictionary<string, object>
        {
            ["none"] = new { },
            ["wrong"] = new { confirm = "frontend", reason = "disk full" },
            ["no reason"] = new { confirm = "backend" },
            ["full"] = new { confirm = "backend", reason = "disk full" },
        };
        var mutated = Path.Combine(env.Dir, "mutated");
        var victim = Path.Combine(env.Dir, "victim");
        var ran = 0;
        foreach (var (role, client) in clients)
        {
            foreach (var (risk, step) in steps)
            {
                foreach (var (how, body) in confirmations)
                {
                    var allowed = role != "viewer" && risk switch
                    {
                        "read-only" => true,
                        "mutating" => how is "no reason" or "full",
                        _ => role == "admin" && how == "full",
                    };
                    var r = await RunAsync(client, incident, step, body);
                    var label = $"{role} × {risk} × {how}";
                    if (!allowed)
                    {
                        var expected = role == "viewer" || (risk == "destructive" && role == "responder") ? HttpStatusCode.Forbidden : HttpStatusCode.UnprocessableEntity;
                        Assert.True(expected == r.StatusCode, $"{label}: {r.StatusCode}, expected {expected}");
                        continue;
                    }
                    Assert.True(r.StatusCode == HttpStatusCode.Accepted, $"{label}: {r.StatusCode} {await r.Content.ReadAsStringAsync(Ct)}");
                    var end = await EndOfAsync(host, (await r.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64());
                    Assert.True("succeeded" == end.GetProperty("status").GetString(), $"{label}: {end}");
                    Assert.Equal(0, end.GetProperty("exit_code").GetInt32());
                    ran++;
                    switch (risk)
                    {
                        case "read-only":
                            Assert.Equal("read-only-ran\n", end.GetProperty("output").GetString());
                            break;
                        case "mutating":
                            Assert.True(File.Exists(mutated), label);
                            File.Delete(mutated);
                            break;
                        default:
                            Assert.False(Directory.Exists(victim), label);
                            Directory.CreateDirectory(victim);
                            break;
                    }
                }
                // Whatever was refused left no trace.
                Assert.False(File.Exists(mutated), $"{role} × {risk}: a refused mutating step ran");
                Assert.True(Directory.Exists(victim), $"{role} × {risk}: a refused destructive step ran");
            }
        }
        Assert.Equal(2 * 4 + 2 * 2 + 1, ran);
        var audit = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?action=runbook.step.run&limit=200", Ct);
        var outcomes = audit.GetProperty("items").EnumerateArray().GroupBy(e => e.GetProperty("outcome").GetString()).ToDictionary(g => g.Key!, g => g.Count());
        Assert.Equal(ran, outcomes["ok"]);
        // A viewer is turned away before the step is looked at (auth.denied); every other refusal names the step.
        Assert.Equal(2 * 3 * 4 - ran, outcomes.GetValueOrDefault("denied") + outcomes.GetValueOrDefault("failed"));
        var denials = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?action=auth.denied&limit=200", Ct);
        Assert.Equal(3 * 4, denials.GetProperty("items").EnumerateArray().Count(e => e.GetProperty("actor_name").GetString() == "vera"));
        // And counted (the counters are the process's, shared with the other tests running beside this one).
        var metrics = await host.Client.GetStringAsync("/metrics", Ct);
        Assert.True(Counter(metrics, "vigil_runbook_step_runs_total{risk=\"destructive\",status=\"succeeded\"}") >= 1, metrics);
        Assert.True(Counter(metrics, "vigil_runbook_step_refusals_total{status=\"422\"}") >= 7);
        // Who ran what, with which reason, is on the timeline.
        var timeline = await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{incident}/timeline?limit=200", Ct);
        var wipe = timeline.GetProperty("items").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "step_run" && e.GetProperty("text").GetString()!.Contains("'Wipe'"));
        Assert.Equal("adam", wipe.GetProperty("actor").GetString());
        Assert.Equal("disk full", wipe.GetProperty("data").GetProperty("reason").GetString());
        Assert.Equal("destructive", wipe.GetProperty("data").GetProperty("risk").GetString());
    }

    private static double Counter(string metrics, string series) =>
        metrics.Split('\n').Where(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();

    [Fact]
    public async Task Parameters_fill_placeholders_and_a_value_the_shell_would_interpret_is_refused_unless_the_placeholder_is_quoted()
    {
        await using var env = await StartAsync();
        var host = env.Host;
        var incident = await OpenIncidentAsync(host);
        var say = await StepIdAsync(host, incident, "Say");
        var runbook = await RunbookOfAsync(host, incident);
        Assert.Equal(["word"], runbook.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == say).GetProperty("parameters").EnumerateArray().Select(p => p.GetString()));

        var missing = await RunAsync(host.Admin, incident, say, new { confirm = "backend" });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("word", (await missing.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").GetProperty("word").GetString());

        var touched = Path.Combine(env.Dir, "injected");
        var injection = await RunAsync(host.Admin, incident, say, new { confirm = "backend", parameters = new Dictionary<string, string> { ["word"] = $"hi; touch {touched}" } });
        Assert.Equal(HttpStatusCode.BadRequest, injection.StatusCode);
        Assert.Contains("';'", (await injection.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").GetProperty("word").GetString());

        var end = await RunToEndAsync(host, incident, say, new { confirm = "backend", parameters = new Dictionary<string, string> { ["word"] = "hello-world" } });
        Assert.Equal("said hello-world\n", end.GetProperty("output").GetString());

        // Quoted in the runbook, the same characters are inert and allowed; a quote that would end the quoting is not.
        var grep = await StepIdAsync(host, incident, "Grep");
        end = await RunToEndAsync(host, incident, grep, new { confirm = "backend", parameters = new Dictionary<string, string> { ["pattern"] = $"a;b | $(touch {touched})" } });
        Assert.Equal($"pattern a;b | $(touch {touched})\n", end.GetProperty("output").GetString());
        var quote = await RunAsync(host.Admin, incident, grep, new { confirm = "backend", parameters = new Dictionary<string, string> { ["pattern"] = "it's" } });
        Assert.Equal(HttpStatusCode.BadRequest, quote.StatusCode);
        Assert.False(File.Exists(touched));

        // A step Vigil cannot run says so.
        var sql = (await RunbookOfAsync(host, incident)).GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("section").GetString() == "check-the-jobs");
        Assert.Contains("runbooks.database", sql.GetProperty("not_runnable").GetString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await RunAsync(host.Admin, incident, sql.GetProperty("id").GetString()!, new { confirm = "backend" })).StatusCode);
    }

    [Fact]
    public async Task Sql_steps_run_against_the_workspace_database_with_parameters_checked_by_sql_quoting()
    {
        await using var env = await StartAsync(Enabled + "\n  database: { driver: sqlite, connection: ops.db }");
        var host = env.Host;
        await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(host.WorkspaceDirectory, "ops.db")};Pooling=false"))
        {
            await c.OpenAsync(Ct);
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT); INSERT INTO jobs VALUES (1, 'stuck'), (2, 'stuck'), (3, 'done');";
            await cmd.ExecuteNonQueryAsync(Ct);
        }
        var incident = await OpenIncidentAsync(host);
        var steps = (await RunbookOfAsync(host, incident)).GetProperty("steps").EnumerateArray().ToList();
        var count = steps.Single(s => s.GetProperty("section").GetString() == "check-the-jobs");
        var requeue = steps.Single(s => s.GetProperty("section").GetString() == "requeue-a-stuck-job");
        Assert.Equal(JsonValueKind.Null, count.GetProperty("not_runnable").ValueKind);
        Assert.Equal("mutating", requeue.GetProperty("risk").GetString());

        var end = await RunToEndAsync(host, incident, count.GetProperty("id").GetString()!, new { });
        Assert.Equal("succeeded", end.GetProperty("status").GetString());
        Assert.Equal("=> SELECT count(*) FROM jobs WHERE state = 'stuck';\ncount(*)\n--------\n2\n(1 row)\n", end.GetProperty("output").GetString());

        // A bare value may not carry SQL: "1--" would comment out the rest of the WHERE.
        var id = requeue.GetProperty("id").GetString()!;
        var r = await RunAsync(host.Admin, incident, id, new { confirm = "backend", parameters = new Dictionary<string, string> { ["job_id_here"] = "1--" } });
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await RunAsync(host.Admin, incident, id, new { parameters = new Dictionary<string, string> { ["job_id_here"] = "1" } })).StatusCode);
        end = await RunToEndAsync(host, incident, id, new { confirm = "backend", parameters = new Dictionary<string, string> { ["job_id_here"] = "1" } });
        Assert.Equal("succeeded", end.GetProperty("status").GetString());
        Assert.Contains("(1 row affected)", end.GetProperty("output").GetString());
        end = await RunToEndAsync(host, incident, count.GetProperty("id").GetString()!, new { });
        Assert.Contains("\n1\n(1 row)", end.GetProperty("output").GetString());
    }

    [Fact]
    public async Task A_stop_kills_running_steps_and_records_them_interrupted_and_a_start_marks_runs_a_crashed_process_left()
    {
        // One database for both runs of the server (a test host drops the PostgreSQL database it created itself).
        var (database, drop) = provider == Db.Postgres ? await TestHost.CreatePostgresDatabaseAsync() : (null, () => ValueTask.CompletedTask);
        try
        {
            await StopAndRestartAsync(database);
        }
        finally
        {
            await drop();
        }
    }

    private async Task StopAndRestartAsync(string? database)
    {
        var env = await StartAsync(database: database);
        var host = env.Host;
        var incident = await OpenIncidentAsync(host);
        var r = await RunAsync(host.Admin, incident, await StepIdAsync(host, incident, "Hang"), new { confirm = "backend" });
        var id = (await r.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        var orphan = await BackgroundPidAsync(env.Dir);
        var (ws, data) = (host.WorkspaceDirectory, host.DataDirectory);
        var envVars = host.Environment;

        // A graceful stop: nothing a responder started keeps running unattended.
        await host.App.StopAsync(Ct);
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(!Alive(orphan)), TimeSpan.FromSeconds(5)), $"process {orphan} survived the stop");
        await using (var db = await host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>().CreateDbContextAsync(Ct))
        {
            Assert.Equal("interrupted", (await db.StepExecutions.SingleAsync(e => e.Id == id, Ct)).State);
            // What a kill -9 leaves behind: a run still marked running by a process of this machine that is gone.
            var lost = await db.StepExecutions.AsNoTracking().SingleAsync(e => e.Id == id, Ct);
            lost.Id = 0;
            lost.State = "running";
            lost.FinishedAt = null;
            lost.Instance = $"{Environment.MachineName}:999999:gone";
            lost.Deadline = DateTimeOffset.UtcNow.AddHours(1);
            db.StepExecutions.Add(lost);
            await db.SaveChangesAsync(Ct);
            id = lost.Id;
        }
        await host.DisposeAsync();

        await using var again = await TestHost.StartAsync(db: provider, env: envVars, workspaceDirectory: ws, dataDirectory: data, database: database);
        Assert.True(await TestHost.EventuallyAsync(async () =>
            (await again.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/executions/{id}", Ct)).GetProperty("status").GetString() == "interrupted"));
        var timeline = await again.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{incident}/timeline", Ct);
        Assert.Contains(timeline.GetProperty("items").EnumerateArray(), e => e.GetProperty("text").GetString()!.Contains("interrupted"));
    }

    [Fact]
    public async Task A_step_runs_once_at_a_time_per_incident_even_when_asked_for_at_once()
    {
        await using var env = await StartAsync();
        var host = env.Host;
        var incident = await OpenIncidentAsync(host);
        var tick = await StepIdAsync(host, incident, "Tick");
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => RunAsync(host.Admin, incident, tick, new { confirm = "backend" })));
        Assert.Equal(1, answers.Count(a => a.StatusCode == HttpStatusCode.Accepted));
        Assert.Equal(5, answers.Count(a => a.StatusCode == HttpStatusCode.Conflict));
        var id = (await answers.Single(a => a.StatusCode == HttpStatusCode.Accepted).Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        Assert.Equal("succeeded", (await EndOfAsync(host, id)).GetProperty("status").GetString());
        // Once it ended, it may run again.
        Assert.Equal("succeeded", (await RunToEndAsync(host, incident, tick, new { confirm = "backend" })).GetProperty("status").GetString());
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

    private static async Task<int> BackgroundPidAsync(string dir)
    {
        var file = Path.Combine(dir, "bg.pid");
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(File.Exists(file) && File.ReadAllText(file).Trim().Length > 0)), "the step did not start its background job");
        return int.Parse((await File.ReadAllTextAsync(file, Ct)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_timeout_kills_the_whole_process_group_even_a_background_job_whose_parent_exited()
    {
        await using var env = await StartAsync();
        var host = env.Host;
        var incident = await OpenIncidentAsync(host);
        var hang = await StepIdAsync(host, incident, "Hang");
        var r = await RunAsync(host.Admin, incident, hang, new { confirm = "backend" });
        Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        var id = (await r.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        var orphan = await BackgroundPidAsync(env.Dir);
        Assert.True(Alive(orphan));
        var end = await EndOfAsync(host, id);
        Assert.Equal("timed_out", end.GetProperty("status").GetString());
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(!Alive(orphan)), TimeSpan.FromSeconds(5)), $"process {orphan} survived the timeout");
        var timeline = await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{incident}/timeline", Ct);
        Assert.Contains(timeline.GetProperty("items").EnumerateArray(), e => e.GetProperty("kind").GetString() == "step_output" && e.GetProperty("text").GetString()!.Contains("timeout"));
        var state = (await RunbookOfAsync(host, incident)).GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == hang);
        Assert.Equal("failed", state.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Cancel_kills_the_whole_process_group_and_says_who_cancelled()
    {
        await using var env = await StartAsync();
        var host = env.Host;
        var incident = await OpenIncidentAsync(host);
        var hang = await StepIdAsync(host, incident, "Hang");
        var r = await RunAsync(host.Admin, incident, hang, new { confirm = "backend" });
        var id = (await r.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        var orphan = await BackgroundPidAsync(env.Dir);
        var (_, viewer) = await host.CreateTokenAsync("vera", "viewer");
        Assert.Equal(HttpStatusCode.Forbidden, (await host.ClientWith(viewer).PostAsync($"/api/v1/executions/{id}/cancel", null, Ct)).StatusCode);
        var (_, responder) = await host.CreateTokenAsync("rita", "responder");
        Assert.Equal(HttpStatusCode.Accepted, (await host.ClientWith(responder).PostAsync($"/api/v1/executions/{id}/cancel", null, Ct)).StatusCode);
        var end = await EndOfAsync(host, id);
        Assert.Equal("canceled", end.GetProperty("status").GetString());
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(!Alive(orphan)), TimeSpan.FromSeconds(5)), $"process {orphan} survived the cancel");
        Assert.Equal(HttpStatusCode.Conflict, (await host.Admin.PostAsync($"/api/v1/executions/{id}/cancel", null, Ct)).StatusCode);
        var timeline = await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{incident}/timeline", Ct);
        var entry = timeline.GetProperty("items").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "step_output");
        Assert.Contains("canceled by rita", entry.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Output_is_capped_at_the_output_limit_and_says_it_was_truncated()
    {
        await using var env = await StartAsync();
        var host = env.Host;
        var incident = await OpenIncidentAsync(host);
        var end = await RunToEndAsync(host, incident, await StepIdAsync(host, incident, "Count"), new { confirm = "backend" });
        Assert.Equal("succeeded", end.GetProperty("status").GetString());
        Assert.True(end.GetProperty("output_truncated").GetBoolean());
        var output = end.GetProperty("output").GetString()!;
        var kept = output[..output.IndexOf("\n[output truncated", StringComparison.Ordinal)];
        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(kept), 900, 1024);
        Assert.StartsWith("1\n2\n3\n", kept);
        Assert.EndsWith("\n", kept); // whole lines only
        Assert.DoesNotContain("5000", output);
    }

    [Fact]
    public async Task Output_streams_as_server_sent_events_while_the_step_runs_and_ends_with_its_status()
    {
        await using var env = await StartAsync();
        var host = env.Host;
        var incident = await OpenIncidentAsync(host);
        var r = await RunAsync(host.Admin, incident, await StepIdAsync(host, incident, "Tick"), new { confirm = "backend" });
        var id = (await r.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        using var response = await host.Admin.GetAsync($"/api/v1/executions/{id}/stream", HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct));
        var text = "";
        string? statusAtFirstTick = null;
        JsonElement? end = null;
        string? kind = null;
        while (await reader.ReadLineAsync(Ct) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) kind = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                var data = JsonDocument.Parse(line[6..]).RootElement.Clone();
                if (kind == "end")
                {
                    end = data;
                    break;
                }
                text += data.GetProperty("text").GetString();
                if (statusAtFirstTick is null && text.Contains("tick 1"))
                {
                    statusAtFirstTick = (await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/executions/{id}", Ct)).GetProperty("status").GetString();
                }
            }
        }
        Assert.Equal("running", statusAtFirstTick);
        Assert.Equal("tick 1\ntick 2\ntick 3\n", text);
        Assert.Equal("succeeded", end!.Value.GetProperty("status").GetString());
        Assert.Equal(0, end.Value.GetProperty("exit_code").GetInt32());

        // Afterwards the stream replays the stored output and ends at once.
        var replay = await host.Admin.GetStringAsync($"/api/v1/executions/{id}/stream", Ct);
        Assert.Contains("tick 3", replay);
        Assert.Contains("event: end", replay);
    }

    [Fact]
    public async Task Workspace_secrets_and_sensitive_parameters_are_redacted_in_output_timeline_execution_and_audit()
    {
        await using var env = await StartAsync();
        var host = env.Host;
        var incident = await OpenIncidentAsync(host);
        const string Token = "tok-abcdef1234567890";
        var step = await StepIdAsync(host, incident, "Secret");
        var parameters = (await RunbookOfAsync(host, incident)).GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == step).GetProperty("parameters");
        Assert.Equal(["api_token"], parameters.EnumerateArray().Select(p => p.GetString())); // $DB_PASSWORD comes from the environment
        var end = await RunToEndAsync(host, incident, step, new { confirm = "backend", parameters = new Dictionary<string, string> { ["api_token"] = Token } });
        Assert.Equal("succeeded", end.GetProperty("status").GetString());
        Assert.Equal("pw=*** token=***\n", end.GetProperty("output").GetString());
        foreach (var url in new[] { $"/api/v1/executions/{end.GetProperty("id").GetInt64()}", $"/api/v1/incidents/{incident}/timeline", "/api/v1/audit?limit=200", $"/api/v1/incidents/{incident}/runbook" })
        {
            var body = await host.Admin.GetStringAsync(url, Ct);
            Assert.DoesNotContain(Password, body);
            Assert.DoesNotContain(Token, body);
        }
    }

    [Fact]
    public async Task Without_the_variable_in_the_allowlist_a_step_never_sees_a_workspace_secret()
    {
        await using var env = await StartAsync(Enabled.Replace("environment: [PATH, HOME, DB_PASSWORD]", "environment: [PATH]", StringComparison.Ordinal));
        var host = env.Host;
        var incident = await OpenIncidentAsync(host);
        var step = await StepIdAsync(host, incident, "Secret");
        // Not in the allowlist, $DB_PASSWORD is not provided: it is a placeholder like any other, which a responder must fill.
        var parameters = (await RunbookOfAsync(host, incident)).GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == step).GetProperty("parameters");
        Assert.Equal(["DB_PASSWORD", "api_token"], parameters.EnumerateArray().Select(p => p.GetString()));
        var r = await RunAsync(host.Admin, incident, step, new { confirm = "backend", parameters = new Dictionary<string, string> { ["api_token"] = "x-1234" } });
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.True((await r.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors").TryGetProperty("DB_PASSWORD", out _));
    }

    [Fact]
    public async Task Steps_are_marked_complete_skipped_or_failed_with_a_note_on_the_timeline_and_audited()
    {
        await using var env = await StartAsync();
        var host = env.Host;
        var incident = await OpenIncidentAsync(host);
        var look = await StepIdAsync(host, incident, "Look");
        var touch = await StepIdAsync(host, incident, "Touch");
        var wipe = await StepIdAsync(host, incident, "Wipe");
        var (_, viewer) = await host.CreateTokenAsync("vera", "viewer");
        Assert.Equal(HttpStatusCode.Forbidden, (await host.ClientWith(viewer).PostAsJsonAsync($"/api/v1/incidents/{incident}/runbook/steps/{look}/complete", new { note = "x" }, Ct)).StatusCode);
        var rita = host.ClientWith((await host.CreateTokenAsync("rita", "responder")).Token);
        var r = await rita.PostAsJsonAsync($"/api/v1/incidents/{incident}/runbook/steps/{look}/complete", new { note = "health is 503" }, Ct);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("done", (await r.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.OK, (await rita.PostAsJsonAsync($"/api/v1/incidents/{incident}/runbook/steps/{touch}/skip", new { note = "not needed" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await rita.PostAsync($"/api/v1/incidents/{incident}/runbook/steps/{wipe}/fail", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await rita.PostAsync($"/api/v1/incidents/{incident}/runbook/steps/9-00000000/complete", null, Ct)).StatusCode);

        var states = (await RunbookOfAsync(host, incident)).GetProperty("steps").EnumerateArray().ToDictionary(s => s.GetProperty("id").GetString()!, s => s.GetProperty("state").GetString());
        Assert.Equal(("done", "skipped", "failed", "pending"), (states[look], states[touch], states[wipe], states[await StepIdAsync(host, incident, "Say")]));
        var entries = (await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{incident}/timeline", Ct)).GetProperty("items").EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "step").ToList();
        Assert.Equal(3, entries.Count);
        Assert.All(entries, e => Assert.Equal("rita", e.GetProperty("actor").GetString()));
        Assert.Equal("step 1 'Look': done — health is 503", entries[0].GetProperty("text").GetString());
        var audit = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?action=runbook.step.", Ct);
        Assert.Equal(["runbook.step.fail", "runbook.step.skip", "runbook.step.complete"], audit.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("outcome").GetString() == "ok").Select(e => e.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task Runbooks_are_served_with_model_html_and_findings_and_reload_with_stable_step_ids()
    {
        await using var env = await StartAsync();
        var host = env.Host;
        var list = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/runbooks", Ct);
        var summary = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal(("ops", "runbooks/ops.md", "Ops"), (summary.GetProperty("id").GetString(), summary.GetProperty("path").GetString(), summary.GetProperty("title").GetString()));
        Assert.Equal("destructive", summary.GetProperty("risk").GetString());
        Assert.Equal(["backend"], summary.GetProperty("services").EnumerateArray().Select(s => s.GetString()));

        var one = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/runbooks/ops", Ct);
        Assert.Contains("<h2 id=\"service-down\">Service Down</h2>", one.GetProperty("html").GetString());
        Assert.Contains(one.GetProperty("findings").EnumerateArray(), f => f.GetProperty("rule").GetString() == "destructive-without-warning");
        Assert.Equal("service-down", one.GetProperty("model").GetProperty("sections")[0].GetProperty("sections")[0].GetProperty("anchor").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await host.Admin.GetAsync("/api/v1/runbooks/nope", Ct)).StatusCode);
        var (_, none) = (string.Empty, (string?)null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.ClientWith(none).GetAsync("/api/v1/runbooks", Ct)).StatusCode);

        var incident = await OpenIncidentAsync(host);
        var before = (await RunbookOfAsync(host, incident)).GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("id").GetString()).ToList();
        var file = Path.Combine(host.WorkspaceDirectory, "runbooks", "ops.md");
        var text = await File.ReadAllTextAsync(file, Ct);

        // Rewritten unchanged, and reloaded: the same ids.
        await File.WriteAllTextAsync(file, text, Ct);
        Assert.Equal(HttpStatusCode.OK, (await host.Admin.PostAsync("/api/v1/workspace/reload", null, Ct)).StatusCode);
        Assert.Equal(before, (await RunbookOfAsync(host, incident)).GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("id").GetString()).ToList());

        // An edit elsewhere in the runbook is picked up by the hot reload and leaves this section's ids alone; an edited
        // step gets a new id, so progress on the old one is not carried over to different work.
        await File.WriteAllTextAsync(file, text.Replace("1. Vacuum:", "1. Vacuum the database:", StringComparison.Ordinal).Replace("2. Touch:", "2. Touch it:", StringComparison.Ordinal), Ct);
        Assert.True(await TestHost.EventuallyAsync(async () => (await host.Admin.GetStringAsync("/api/v1/runbooks/ops", Ct)).Contains("Vacuum the database")));
        var after = (await RunbookOfAsync(host, incident)).GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("id").GetString()).ToList();
        Assert.Equal(before.Count, after.Count);
        Assert.Equal(before.Where((_, i) => i != 1), after.Where((_, i) => i != 1));
        Assert.NotEqual(before[1], after[1]);
    }

    [Fact]
    public async Task An_Alertmanager_runbook_url_showing_a_workspace_runbook_links_its_section_and_its_steps()
    {
        await using var env = await StartAsync();
        var host = env.Host;
        var payload = JsonSerializer.Serialize(new
        {
            version = "4",
            groupKey = "{}:{alertname=\"BackendDown\"}",
            status = "firing",
            receiver = "vigil",
            externalURL = "http://127.0.0.1:9093",
            truncatedAlerts = 0,
            alerts = new[]
            {
                new
                {
                    status = "firing",
                    fingerprint = "fp1",
                    labels = new Dictionary<string, string> { ["alertname"] = "BackendDown", ["severity"] = "critical" },
                    annotations = new Dictionary<string, string>
                    {
                        ["summary"] = "Backend is down",
                        ["runbook_url"] = "https://git.example.com/ops/blob/main/runbooks/ops.md#service-down",
                    },
                    startsAt = "2026-11-23T02:00:00Z",
                    endsAt = "0001-01-01T00:00:00Z",
                    generatorURL = "http://127.0.0.1:9090/graph",
                },
            },
        });
        var r = await host.Client.PostAsync($"/api/v1/integrations/{AmKey}/alertmanager", new StringContent(payload, System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var incident = (await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/incidents", Ct)).GetProperty("items")[0];
        var link = incident.GetProperty("runbook");
        Assert.Equal(("runbooks/ops.md", "service-down"), (link.GetProperty("path").GetString(), link.GetProperty("section").GetString()));
        var runbook = await RunbookOfAsync(host, incident.GetProperty("id").GetInt64());
        Assert.Equal("Service Down", runbook.GetProperty("title").GetString());
        Assert.Equal(11, runbook.GetProperty("steps").GetArrayLength());
    }
}

public sealed class SqliteIncidentRunbookTests() : IncidentRunbookTests(Db.Sqlite);

public sealed class PostgresIncidentRunbookTests() : IncidentRunbookTests(Db.Postgres);

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Vigil.Web.Tests.Runbooks;

/// <summary>The STM example, built from a real team's runbook: an incident on it is followed step by step.</summary>
public sealed class SampleRunbookTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void Copy(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories)) File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_incident_on_the_STM_example_shows_its_service_down_steps_with_their_risk_and_they_can_be_followed()
    {
        var ws = Directory.CreateTempSubdirectory("vigil-stm-").FullName;
        Copy(Path.Combine(AppContext.BaseDirectory, "examples", "stm-intelligence-brief"), ws);
        var env = new Dictionary<string, string?> { ["VIGIL_BOOTSTRAP_TOKEN"] = TestHost.BootstrapToken, ["STM_ALERT_WEBHOOK_URL"] = "http://127.0.0.1:9/hook" };
        await using var host = await TestHost.StartAsync(env: env, workspaceDirectory: ws);

        var list = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/runbooks", Ct);
        var summary = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal("stm-intelligence-brief", summary.GetProperty("id").GetString());
        Assert.True(summary.GetProperty("steps").GetInt32() > 20);
        Assert.NotEmpty(summary.GetProperty("services").EnumerateArray());

        var service = summary.GetProperty("services")[0].GetString();
        var created = await host.Admin.PostAsJsonAsync("/api/v1/incidents", new { title = "Backend down", service, runbook = "#service-down" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();
        var runbook = await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{id}/runbook", Ct);
        Assert.Equal(("Service Down", "disabled"), (runbook.GetProperty("title").GetString(), runbook.GetProperty("execution").GetString()));
        var steps = runbook.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(["Check service status", "Check logs for errors", "Restart affected service", "If database connection issues", "Verify recovery"],
            steps.Select(s => s.GetProperty("title").GetString()));
        Assert.Equal(["read-only", "read-only", "mutating", "mutating", "read-only"], steps.Select(s => s.GetProperty("risk").GetString()));
        Assert.Equal("docker compose restart backend", steps[2].GetProperty("commands")[0].GetProperty("text").GetString());

        // Execution is off in the example: the responder follows by hand, and the timeline says who did what.
        var first = steps[0].GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.Conflict, (await host.Admin.PostAsJsonAsync($"/api/v1/incidents/{id}/runbook/steps/{first}/run", new { }, Ct)).StatusCode);
        var marked = await host.Admin.PostAsJsonAsync($"/api/v1/incidents/{id}/runbook/steps/{first}/complete", new { note = "backend exited (137)" }, Ct);
        Assert.Equal("done", (await marked.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("state").GetString());
        var timeline = await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/incidents/{id}/timeline", Ct);
        Assert.Contains(timeline.GetProperty("items").EnumerateArray(), e => e.GetProperty("text").GetString() == "step 1 'Check service status': done — backend exited (137)");
    }
}

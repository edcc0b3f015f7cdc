using System.Net.Http.Json;
using System.Text.Json;

namespace Vigil.Web.Tests;

/// <summary>Editing vigil.yaml applies without a restart; a bad edit keeps the last good workspace.</summary>
public sealed class HotReloadTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string TwoServices = TestHost.MinimalWorkspace + """

          - id: worker
            name: Celery worker
            checks:
              - id: queue
                command: { run: "true" }
                conditions: ["[STATUS] == 0"]
        """;

    private static async Task<List<string>> ServiceIdsAsync(TestHost host)
    {
        var page = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/services", Ct);
        return [.. page.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];
    }

    [Fact]
    public async Task A_good_edit_is_applied_without_a_restart()
    {
        await using var host = await TestHost.StartAsync();
        Assert.Equal(["backend"], await ServiceIdsAsync(host));
        await host.WriteWorkspaceAsync(TwoServices);
        Assert.True(await TestHost.EventuallyAsync(async () => (await ServiceIdsAsync(host)).Count == 2), "the new service never appeared");
        var ws = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/workspace", Ct);
        Assert.True(ws.GetProperty("valid").GetBoolean());
        Assert.Equal(2, ws.GetProperty("generation").GetInt64());
    }

    [Fact]
    public async Task A_bad_edit_keeps_the_last_good_workspace_and_shows_its_errors()
    {
        await using var host = await TestHost.StartAsync();
        await host.WriteWorkspaceAsync(TestHost.MinimalWorkspace.Replace("conditions:", "intervl: 30s\n        conditions:", StringComparison.Ordinal));
        JsonElement ws = default;
        Assert.True(await TestHost.EventuallyAsync(async () =>
        {
            ws = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/workspace", Ct);
            return !ws.GetProperty("valid").GetBoolean();
        }), "the bad edit was never noticed");
        var error = Assert.Single(ws.GetProperty("errors").EnumerateArray());
        Assert.Equal("vigil.yaml", error.GetProperty("file").GetString());
        Assert.Equal(10, error.GetProperty("line").GetInt32());
        Assert.Equal(9, error.GetProperty("column").GetInt32());
        Assert.Contains("did you mean `interval`?", error.GetProperty("text").GetString());
        Assert.Equal(1, ws.GetProperty("generation").GetInt64());
        Assert.Equal(["backend"], await ServiceIdsAsync(host));

        // Fixing the file applies it and clears the errors.
        await host.WriteWorkspaceAsync(TwoServices);
        Assert.True(await TestHost.EventuallyAsync(async () =>
        {
            ws = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/workspace", Ct);
            return ws.GetProperty("valid").GetBoolean() && ws.GetProperty("services").GetInt32() == 2;
        }), "the fixed edit was never applied");
    }

    [Fact]
    public async Task A_cursor_into_a_service_removed_by_a_reload_is_refused_not_silently_restarted()
    {
        await using var host = await TestHost.StartAsync(TwoServices);
        var first = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/services?limit=1", Ct);
        var cursor = first.GetProperty("next_cursor").GetString();
        Assert.NotNull(cursor);
        await host.WriteWorkspaceAsync(TwoServices.Replace("- id: backend", "- id: api", StringComparison.Ordinal));
        Assert.True(await TestHost.EventuallyAsync(async () => (await ServiceIdsAsync(host)).Contains("api")));
        var next = await host.Admin.GetAsync($"/api/v1/services?limit=1&cursor={cursor}", Ct);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, next.StatusCode);
        Assert.Contains("no longer exists", await next.Content.ReadAsStringAsync(Ct));
    }
}

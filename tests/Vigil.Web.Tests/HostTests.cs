using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Vigil.Web.Tests;

/// <summary>Health, readiness, OpenAPI, metrics and the services API on a real host.</summary>
public sealed class HostTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Health_reports_ok_and_the_version_and_ready_checks_the_database()
    {
        await using var host = await TestHost.StartAsync();
        var health = await host.Client.GetFromJsonAsync<JsonElement>("/health", Ct);
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Matches(@"^\d+\.\d+\.\d+", health.GetProperty("version").GetString());
        var ready = await host.Client.GetAsync("/health/ready", Ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        // Take the database away: readiness must say so rather than lie.
        File.Delete(Path.Combine(host.DataDirectory, "vigil.db"));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var notReady = await host.Client.GetAsync("/health/ready", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.Equal("application/problem+json", notReady.Content.Headers.ContentType?.MediaType);

        // API calls say the storage is unavailable (503, retry later), not that the server broke (500).
        var api = await host.Admin.GetAsync("/api/v1/services", Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, api.StatusCode);
        Assert.Equal("application/problem+json", api.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task OpenApi_describes_the_api_with_bearer_security_and_the_reference_ui_is_served()
    {
        await using var host = await TestHost.StartAsync();
        var doc = await host.Client.GetFromJsonAsync<JsonElement>("/openapi/v1.json", Ct);
        var paths = doc.GetProperty("paths");
        foreach (var p in new[] { "/api/v1/services", "/api/v1/services/{id}", "/api/v1/tokens", "/api/v1/tokens/{id}", "/api/v1/audit", "/api/v1/workspace", "/health" })
        {
            Assert.True(paths.EnumerateObject().Any(x => x.Name.TrimEnd('/') == p), $"OpenAPI lacks {p}");
        }
        Assert.Equal("bearer", doc.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
        var list = paths.EnumerateObject().First(x => x.Name.TrimEnd('/') == "/api/v1/services").Value.GetProperty("get");
        Assert.Equal(JsonValueKind.Array, list.GetProperty("security").ValueKind);
        Assert.True(list.GetProperty("responses").TryGetProperty("401", out _));
        Assert.True(list.GetProperty("responses").TryGetProperty("403", out _));
        var health = paths.GetProperty("/health").GetProperty("get");
        Assert.False(health.TryGetProperty("security", out _), "/health needs no token and must not say it does");
        var ui = await host.Client.GetAsync("/docs/", Ct);
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
        var html = await ui.Content.ReadAsStringAsync(Ct);
        Assert.Contains("<html", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("openapi/v1.json", html);
        // The UI's script is served by Vigil itself: a server without internet access still shows it.
        var script = await host.Client.GetAsync("/docs/scalar.js", Ct);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.True((await script.Content.ReadAsByteArrayAsync(Ct)).Length > 100_000);
    }

    [Fact]
    public async Task Metrics_are_in_prometheus_text_format_with_process_http_and_vigil_series()
    {
        await using var host = await TestHost.StartAsync();
        await host.Client.GetAsync("/health", Ct);
        var r = await host.Client.GetAsync("/metrics", Ct);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.StartsWith("text/plain", r.Content.Headers.ContentType?.MediaType);
        var text = await r.Content.ReadAsStringAsync(Ct);
        Assert.Contains("# TYPE process_cpu_seconds_total counter", text);
        Assert.Contains("process_working_set_bytes", text);
        Assert.Matches(@"http_request_duration_seconds_count\{[^}]*endpoint=""/health""[^}]*\} [1-9]", text);
        Assert.Contains("http_requests_received_total", text);
        // The process has compiled its startup code by now, so the JIT totals are above zero.
        Assert.Matches(@"\ndotnet_jit_compilation_seconds_total 0\.0*[1-9]|\ndotnet_jit_compilation_seconds_total [1-9]", text);
        Assert.Matches(@"\ndotnet_jit_methods_compiled_total [1-9]\d*", text);
        // Published from the start, before any reload. (Values are process-wide and other tests reload
        // in parallel, so only the series is asserted here.)
        Assert.Matches(@"vigil_workspace_reloads_total\{outcome=""rejected""\} \d+", text);
        Assert.Matches(@"vigil_workspace_valid [01]", text);
    }

    [Fact]
    public async Task Services_are_listed_from_the_workspace_with_unknown_status_until_checks_run()
    {
        await using var host = await TestHost.StartAsync();
        var page = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/services", Ct);
        Assert.Equal(1, page.GetProperty("total").GetInt32());
        var svc = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal("backend", svc.GetProperty("id").GetString());
        Assert.Equal("Backend API", svc.GetProperty("name").GetString());
        Assert.Equal("unknown", svc.GetProperty("status").GetString());
        var check = Assert.Single(svc.GetProperty("checks").EnumerateArray());
        Assert.Equal("health", check.GetProperty("id").GetString());
        Assert.Equal("http", check.GetProperty("kind").GetString());
        Assert.Equal("unknown", check.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, check.GetProperty("last_checked_at").ValueKind);
        Assert.Equal(JsonValueKind.Null, check.GetProperty("latency_ms").ValueKind);
        Assert.Equal(JsonValueKind.Null, check.GetProperty("message").ValueKind);

        var one = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/services/backend", Ct);
        Assert.Equal("backend", one.GetProperty("id").GetString());
        var missing = await host.Admin.GetAsync("/api/v1/services/nope", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Unknown_routes_answer_problem_details()
    {
        await using var host = await TestHost.StartAsync();
        var r = await host.Admin.GetAsync("/api/v1/nothing-here", Ct);
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
    }
}

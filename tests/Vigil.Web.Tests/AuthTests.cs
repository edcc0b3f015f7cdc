using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Vigil.Core.Security;

namespace Vigil.Web.Tests;

/// <summary>Tokens, roles and the audit trail, on SQLite and (when available) PostgreSQL.</summary>
public abstract class AuthTests(Db db)
{
    private Task<TestHost> StartAsync() => TestHost.StartAsync(db: db);

    public static TheoryData<string, string, string> Matrix()
    {
        // endpoint, weakest role allowed, body (for POST)
        var data = new TheoryData<string, string, string>
        {
            { "GET /api/v1/services", "viewer", "" },
            { "GET /api/v1/services/backend", "viewer", "" },
            { "GET /api/v1/workspace", "viewer", "" },
            { "POST /api/v1/workspace/reload", "admin", "" },
            { "GET /api/v1/tokens", "admin", "" },
            { "POST /api/v1/tokens", "admin", """{"name":"x","role":"viewer"}""" },
            { "DELETE /api/v1/tokens/tok_doesnotexist", "admin", "" },
            { "GET /api/v1/audit", "admin", "" },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Every_endpoint_answers_401_without_a_valid_token_and_403_below_its_role(string endpoint, string minimum, string body)
    {
        await using var host = await StartAsync();
        var tokens = new Dictionary<string, string?>
        {
            ["none"] = null,
            ["garbage"] = "not-a-token",
            ["unknown"] = ApiTokens.Generate(),
            ["viewer"] = (await host.CreateTokenAsync("v", "viewer")).Token,
            ["responder"] = (await host.CreateTokenAsync("r", "responder")).Token,
            ["admin"] = (await host.CreateTokenAsync("a", "admin")).Token,
        };
        string[] order = ["viewer", "responder", "admin"];
        var parts = endpoint.Split(' ');
        foreach (var (who, token) in tokens)
        {
            using var client = host.ClientWith(token);
            using var request = new HttpRequestMessage(new HttpMethod(parts[0]), parts[1]);
            if (body.Length > 0) request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            var rank = Array.IndexOf(order, who);
            if (rank < 0)
            {
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{endpoint} as {who}: expected 401, got {(int)response.StatusCode}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
            else if (rank < Array.IndexOf(order, minimum))
            {
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{endpoint} as {who}: expected 403, got {(int)response.StatusCode}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
            else
            {
                var code = (int)response.StatusCode;
                var allowed = endpoint.StartsWith("DELETE", StringComparison.Ordinal) ? code == 404 : code is 200 or 201;
                Assert.True(allowed, $"{endpoint} as {who}: expected success, got {code}");
            }
        }
    }

    [Fact]
    public async Task A_created_token_is_shown_once_and_stored_only_as_its_hash()
    {
        await using var host = await StartAsync();
        var (id, token) = await host.CreateTokenAsync("ci", "viewer");
        Assert.StartsWith("vgl_", token);
        Assert.Equal(4 + 43, token.Length); // 32 random bytes, base64url

        var list = await host.Admin.GetStringAsync("/api/v1/tokens", TestContext.Current.CancellationToken);
        Assert.Contains(id, list);
        Assert.DoesNotContain(token, list);
        Assert.DoesNotContain(ApiTokens.Hash(token), list);

        if (db == Db.Sqlite)
        {
            // Nothing in the database file (nor its WAL) holds the token in clear; its hash is there.
            SqliteConnection.ClearAllPools();
            var bytes = string.Concat(Directory.GetFiles(host.DataDirectory).Select(f => File.ReadAllText(f)));
            Assert.DoesNotContain(token, bytes);
            Assert.Contains(ApiTokens.Hash(token), bytes);
        }
        using var viewer = host.ClientWith(token);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/v1/services", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task A_revoked_token_stops_working_at_once()
    {
        await using var host = await StartAsync();
        var (id, token) = await host.CreateTokenAsync("temp", "viewer");
        using var client = host.ClientWith(token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/services", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await host.Admin.DeleteAsync($"/api/v1/tokens/{id}", TestContext.Current.CancellationToken)).StatusCode);
        var after = await client.GetAsync("/api/v1/services", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Contains("revoked", await after.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task The_bootstrap_token_is_an_admin_created_once_and_stays_revoked_across_restarts()
    {
        var dir = Directory.CreateTempSubdirectory("vigil-ws-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "vigil.yaml"), TestHost.MinimalWorkspace, TestContext.Current.CancellationToken);
        string? database = null;
        Func<ValueTask> drop = () => ValueTask.CompletedTask;
        if (db == Db.Postgres) (database, drop) = await TestHost.CreatePostgresDatabaseAsync();
        try
        {
            string id;
            await using (var first = await TestHost.StartAsync(workspaceDirectory: dir, database: database))
            {
                var list = await first.Admin.GetFromJsonAsync<JsonElement>("/api/v1/tokens", TestContext.Current.CancellationToken);
                var bootstrap = list.GetProperty("items").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "bootstrap");
                Assert.Equal("admin", bootstrap.GetProperty("role").GetString());
                id = bootstrap.GetProperty("id").GetString()!;
                Assert.Equal(HttpStatusCode.NoContent, (await first.Admin.DeleteAsync($"/api/v1/tokens/{id}", TestContext.Current.CancellationToken)).StatusCode);
            }
            await using var second = await TestHost.StartAsync(workspaceDirectory: dir, database: database);
            Assert.Equal(HttpStatusCode.Unauthorized, (await second.Admin.GetAsync("/api/v1/tokens", TestContext.Current.CancellationToken)).StatusCode);
        }
        finally
        {
            await drop();
        }
    }

    [Fact]
    public async Task Denials_and_mutations_are_in_the_audit_log_with_filters()
    {
        await using var host = await StartAsync();
        var ct = TestContext.Current.CancellationToken;
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        using (var anonymous = host.ClientWith(null)) await anonymous.GetAsync("/api/v1/services", ct);
        var (id, viewer) = await host.CreateTokenAsync("auditee", "viewer");
        using (var v = host.ClientWith(viewer)) await v.GetAsync("/api/v1/tokens", ct);

        var denied = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/audit?action=auth.denied", ct);
        var items = denied.GetProperty("items").EnumerateArray().ToList();
        Assert.Contains(items, e => e.GetProperty("actor").GetString() == "anonymous" && e.GetProperty("detail").GetProperty("status").GetInt32() == 401
            && e.GetProperty("target").GetString() == "GET /api/v1/services" && e.GetProperty("remote_address").GetString() == "127.0.0.1");
        Assert.Contains(items, e => e.GetProperty("actor").GetString() == $"token:{id}" && e.GetProperty("actor_name").GetString() == "auditee"
            && e.GetProperty("detail").GetProperty("status").GetInt32() == 403);
        Assert.All(items, e => Assert.Equal("denied", e.GetProperty("outcome").GetString()));

        var tokens = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/tokens", ct);
        var bootstrapId = tokens.GetProperty("items").EnumerateArray().Single(t => t.GetProperty("name").GetString() == "bootstrap").GetProperty("id").GetString();
        var byActor = await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?actor=token:{bootstrapId}&action=token.create", ct);
        var created = Assert.Single(byActor.GetProperty("items").EnumerateArray());
        Assert.Equal(id, created.GetProperty("target").GetString());

        var since = Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(5).ToString("O"));
        var future = await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?since={since}", ct);
        Assert.Equal(0, future.GetProperty("total").GetInt32());
        var recent = await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/audit?since={Uri.EscapeDataString(before.ToString("O"))}", ct);
        Assert.True(recent.GetProperty("total").GetInt32() >= 3);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.Admin.GetAsync("/api/v1/audit?since=yesterday", ct)).StatusCode);
    }

    [Fact]
    public async Task Lists_are_paginated_with_a_cursor()
    {
        await using var host = await StartAsync();
        var ct = TestContext.Current.CancellationToken;
        for (var i = 0; i < 5; i++) await host.CreateTokenAsync($"t{i}", "viewer");
        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await host.Admin.GetFromJsonAsync<JsonElement>($"/api/v1/tokens?limit=2{(cursor is null ? "" : "&cursor=" + cursor)}", ct);
            Assert.Equal(6, page.GetProperty("total").GetInt32());
            var items = page.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("id").GetString()!).ToList();
            Assert.True(items.Count <= 2);
            seen.AddRange(items);
            cursor = page.GetProperty("next_cursor").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next_cursor").GetString();
            pages++;
        }
        while (cursor is not null && pages < 10);
        Assert.Equal(3, pages); // a last page that is exactly full has no next_cursor
        Assert.Equal(6, seen.Count);
        Assert.Equal(6, seen.Distinct().Count());
        Assert.Equal(HttpStatusCode.BadRequest, (await host.Admin.GetAsync("/api/v1/tokens?limit=0", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await host.Admin.GetAsync("/api/v1/tokens?cursor=%%%", ct)).StatusCode);
    }

    [Fact]
    public async Task Invalid_token_requests_get_a_clear_error_and_change_nothing()
    {
        await using var host = await StartAsync();
        var ct = TestContext.Current.CancellationToken;
        var r = await host.Admin.PostAsJsonAsync("/api/v1/tokens", new { name = "", role = "superuser" }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var problem = await r.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Contains("viewer, responder, admin", problem.GetProperty("errors").GetProperty("role").GetString());
        Assert.True(problem.GetProperty("errors").TryGetProperty("name", out _));
        var list = await host.Admin.GetFromJsonAsync<JsonElement>("/api/v1/tokens", ct);
        Assert.Equal(1, list.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Request_bodies_are_size_limited()
    {
        await using var host = await StartAsync();
        var big = new string('x', 64 * 1024);
        var r = await host.Admin.PostAsync("/api/v1/tokens", new StringContent($$"""{"name":"{{big}}","role":"viewer"}""", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
    }
}

public sealed class SqliteAuthTests() : AuthTests(Db.Sqlite);

public sealed class PostgresAuthTests() : AuthTests(Db.Postgres);

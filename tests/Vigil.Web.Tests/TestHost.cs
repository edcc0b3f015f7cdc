using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Vigil.Storage;
using Vigil.Web.Hosting;

namespace Vigil.Web.Tests;

/// <summary>Which database a test host runs on.</summary>
public enum Db
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The real Vigil server on 127.0.0.1:0 with a real workspace folder and a real database
/// (a SQLite file, or a fresh PostgreSQL database when <c>VIGIL_TEST_POSTGRES</c> is set).
/// </summary>
public sealed class TestHost : IAsyncDisposable
{
    public const string PostgresVariable = "VIGIL_TEST_POSTGRES";

    public const string BootstrapToken = "vgl_test-bootstrap-token-0123456789abcdef";

    // The check runs hourly (its first run falls anywhere in the first hour): tests that publish their own results for
    // backend/health must not meet a real probe of the closed port in the middle of their assertions.
    public const string MinimalWorkspace = """
        name: Test Team
        severities:
          - { id: P1, name: Critical, respond_within: 15m }
        services:
          - id: backend
            name: Backend API
            checks:
              - id: health
                http: { url: "http://127.0.0.1:9/health" }
                conditions: ["[STATUS] == 200"]
                alert: { severity: P1 }
                interval: 1h
        """;

    private readonly Func<ValueTask> dropDatabase;

    private TestHost(WebApplication app, string workspace, string data, string? database, Func<ValueTask> drop, Dictionary<string, string?> env)
    {
        App = app;
        WorkspaceDirectory = workspace;
        DataDirectory = data;
        Database = database;
        dropDatabase = drop;
        Environment = env;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Client = new HttpClient { BaseAddress = new Uri(address) };
    }

    public WebApplication App { get; }
    public HttpClient Client { get; }
    public string WorkspaceDirectory { get; }
    public string DataDirectory { get; }
    public string? Database { get; }
    public Dictionary<string, string?> Environment { get; }

    public static async Task<TestHost> StartAsync(
        string yaml = MinimalWorkspace,
        Db db = Db.Sqlite,
        Dictionary<string, string?>? env = null,
        string? workspaceDirectory = null,
        string? dataDirectory = null,
        string? database = null,
        Func<VigilHostOptions, VigilHostOptions>? configure = null)
    {
        var dir = workspaceDirectory ?? Directory.CreateTempSubdirectory("vigil-ws-").FullName;
        if (workspaceDirectory is null) await File.WriteAllTextAsync(Path.Combine(dir, "vigil.yaml"), yaml);
        var data = dataDirectory ?? Path.Combine(dir, ".vigil");
        Func<ValueTask> drop = () => ValueTask.CompletedTask;
        if (db == Db.Postgres && database is null) (database, drop) = await CreatePostgresDatabaseAsync();
        env ??= new Dictionary<string, string?> { ["VIGIL_BOOTSTRAP_TOKEN"] = BootstrapToken };
        var options = new VigilHostOptions
        {
            WorkspaceDirectory = dir,
            DataDirectory = data,
            Database = database,
            Urls = "http://127.0.0.1:0",
            Environment = name => env.TryGetValue(name, out var v) ? v : null,
            ReloadPollInterval = TimeSpan.FromMilliseconds(250),
        };
        if (configure is not null) options = configure(options);
        var app = VigilHost.Build(options);
        await VigilHost.PrepareAsync(app);
        await app.StartAsync();
        return new TestHost(app, dir, data, database, drop, env);
    }

    /// <summary>A fresh database on the server named by VIGIL_TEST_POSTGRES; skips the test when it is not set.</summary>
    public static async Task<(string ConnectionString, Func<ValueTask> Drop)> CreatePostgresDatabaseAsync()
    {
        var server = System.Environment.GetEnvironmentVariable(PostgresVariable);
        if (string.IsNullOrWhiteSpace(server)) Assert.Skip($"{PostgresVariable} is not set: PostgreSQL variant skipped");
        var admin = new NpgsqlConnectionStringBuilder(VigilStorage.Parse(server, Path.GetTempPath()).ConnectionString);
        if (string.IsNullOrEmpty(admin.Database)) admin.Database = "postgres";
        var name = "vigil_web_" + Guid.NewGuid().ToString("N");
        await ExecAsync(admin.ConnectionString, $"CREATE DATABASE \"{name}\"");
        var test = new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = name };
        return (test.ConnectionString, async () =>
        {
            NpgsqlConnection.ClearAllPools();
            // FORCE ends the test's own sessions; an autovacuum worker in the database (a superuser's) cannot be ended by
            // this role, but leaves by itself within moments: try again.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await ExecAsync(admin.ConnectionString, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    return;
                }
                catch (PostgresException e) when (e.SqlState is "42501" or "55006" && attempt < 20)
                {
                    await Task.Delay(250);
                }
            }
        });
    }

    private static async Task ExecAsync(string cs, string sql)
    {
        await using var c = new NpgsqlConnection(cs);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    public HttpClient ClientWith(string? token)
    {
        var c = new HttpClient { BaseAddress = Client.BaseAddress };
        if (token is not null) c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return c;
    }

    public HttpClient Admin => ClientWith(BootstrapToken);

    /// <summary>Creates a token through the API and returns its secret.</summary>
    public async Task<(string Id, string Token)> CreateTokenAsync(string name, string role)
    {
        var r = await Admin.PostAsJsonAsync("/api/v1/tokens", new { name, role });
        Assert.Equal(System.Net.HttpStatusCode.Created, r.StatusCode);
        var body = await r.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("id").GetString()!, body.GetProperty("token").GetString()!);
    }

    public async Task WriteWorkspaceAsync(string yaml) => await File.WriteAllTextAsync(Path.Combine(WorkspaceDirectory, "vigil.yaml"), yaml);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await dropDatabase();
    }

    /// <summary>Polls until <paramref name="condition"/> holds or the time is up (bounded, never hangs).</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan? within = null)
    {
        // Generous: CI runs three test assemblies at once on two cores; this only costs time when something is broken.
        var until = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < until)
        {
            if (await condition()) return true;
            await Task.Delay(100);
        }
        return await condition();
    }
}
